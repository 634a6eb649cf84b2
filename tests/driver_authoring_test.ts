/**
 * The three places a driver method goes (`drivers/README.md`): a lamp package written as the
 * guide says, with `set_brightness` added in exactly the descriptor, the driver method and the
 * client method (plus its `j` command beside the client). It is driven through `j`'s command
 * tree, built in-process from the package list a program would ship, and through the typed
 * client, over a real session on a Unix socket.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { Command, InvalidArgumentError } from "commander";
import {
  defineDriverType,
  defineInterface,
  definePackage,
  Driver,
  type DriverOptions,
  driverRegistryOf,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { type CallOptions, clientRegistryOf, DriverClient } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { InvalidArgumentError as WireInvalidArgument } from "@jumpstarter/lib/wire";
import { finalize, jProgram } from "../cli/commands/j.ts";

// 1. the descriptor: the method's wire name, argument schemas and help
const lampInterface = defineInterface({
  client: "my_lab.client.LampClient",
  description: "A dimmable lamp",
  methods: {
    on: unary([], { description: "Switch on" }),
    brightness: unary([], { description: "Print the brightness in percent" }),
    set_brightness: unary([z.number().int().min(0).max(100)], {
      description: "Set the brightness in percent",
    }),
  },
});

// 2. the driver method: `set_brightness` is bound to `setBrightness` by exportMethods
class Lamp extends Driver {
  readonly interface = lampInterface;
  percent = 0;

  constructor(options: DriverOptions = {}) {
    super(options);
  }

  on(): void {
    this.percent = 100;
  }

  brightness(): number {
    return this.percent;
  }

  setBrightness(percent: number): void {
    this.percent = percent;
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(lampInterface, this);
  }
}

// 3. the client method: the name and argument types come from the descriptor
class LampClient extends DriverClient {
  async on(options: CallOptions = {}): Promise<void> {
    await this.invoke(lampInterface.methods.on, [], options);
  }

  async brightness(options: CallOptions = {}): Promise<number> {
    return z.number().parse(await this.invoke(lampInterface.methods.brightness, [], options));
  }

  async setBrightness(percent: number, options: CallOptions = {}): Promise<void> {
    await this.invoke(lampInterface.methods.set_brightness, [percent], options);
  }
}

function parsePercent(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new InvalidArgumentError(`expected a whole number: ${text}`);
  return value;
}

// ...and, since it wants one, its command beside the client's others
function lampCli(client: LampClient, name: string): Command {
  const command = new Command(name).description(client.description ?? "Lamp");
  command.command("on").description(client.methodsDescription.on ?? "Switch on")
    .action(async () => await client.on());
  command.command("brightness").description(client.methodsDescription.brightness ?? "")
    .action(async () => console.log(`${await client.brightness()}%`));
  command.command("set-brightness")
    .description(client.methodsDescription.set_brightness ?? "")
    .argument("<percent>", "0 to 100", parsePercent)
    .action(async (percent: number) => await client.setBrightness(percent));
  return command;
}

// the package descriptor, as its package.ts would export it
const lampPackage = definePackage({
  name: "@my-lab/driver-lamp",
  driverTypes: [
    defineDriverType({
      name: "Lamp",
      aliases: ["my_lab.driver.Lamp"],
      config: z.object({}).strict(),
      create: (_config, options) => new Lamp(options),
    }),
  ],
  clients: [{ classPaths: [lampInterface.client], client: LampClient, cli: lampCli }],
});

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  desk:
    type: my_lab.driver.Lamp
`;

/** Serves the config with a program's registries built from `packages` alone. */
async function serveLab() {
  const packages = [lampPackage];
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), {
    registry: driverRegistryOf(packages),
  });
  const served = await serve(root, undefined, { registry: clientRegistryOf(packages) });
  const lamp = root.children.get("desk");
  assert.ok(lamp instanceof Lamp, "the config's my_lab.driver.Lamp built a Lamp");
  return { served, lamp, packages };
}

/** Runs `j ARGS...` in-process against the served tree; returns what it printed. */
async function runJ(
  root: DriverClient,
  packages: typeof lampPackage[],
  args: string[],
): Promise<string> {
  const printed: string[] = [];
  const program = finalize(jProgram(root, packages));
  program.configureOutput({
    writeOut: (text) => printed.push(text),
    writeErr: (text) => printed.push(text),
  });
  const log = console.log;
  console.log = (...items: unknown[]) => {
    printed.push(`${items.join(" ")}\n`);
  };
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    console.log = log;
  }
  return printed.join("");
}

Deno.test("a method added in the three documented places is callable through j", async () => {
  const { served, lamp, packages } = await serveLab();
  await using _served = served;
  await runJ(served.client, packages, ["desk", "set-brightness", "40"]);
  assert.equal(lamp.percent, 40);
  assert.equal(await runJ(served.client, packages, ["desk", "brightness"]), "40%\n");
});

Deno.test("j's help for the package lists the new command with the descriptor's description", async () => {
  const { served, packages } = await serveLab();
  await using _served = served;
  const program = finalize(jProgram(served.client, packages));
  const desk = program.commands.find((command) => command.name() === "desk");
  assert.ok(desk, `j has no "desk" command: ${program.commands.map((c) => c.name())}`);
  const help = desk.helpInformation();
  assert.match(help, /set-brightness <percent>\s+Set the brightness in percent/, help);
});

Deno.test("the same method through the typed client, validated by the exporter", async () => {
  const { served, lamp } = await serveLab();
  await using _served = served;
  const desk = served.client.child("desk", LampClient);
  await desk.setBrightness(60, { timeoutMs: 5_000 });
  assert.equal(lamp.percent, 60);
  assert.equal(await desk.brightness(), 60);
  // the descriptor's schema is checked on the exporter: 140 never reaches the driver
  await assert.rejects(desk.setBrightness(140), WireInvalidArgument);
  assert.equal(lamp.percent, 60);
});

Deno.test("without the package in the list, j has no commands for the lamp", async () => {
  const { served } = await serveLab();
  await using _served = served;
  const program = finalize(jProgram(served.client, []));
  const desk = program.commands.find((command) => command.name() === "desk");
  assert.equal(desk, undefined, "a driver without a CLI in the list gets no command");
});
