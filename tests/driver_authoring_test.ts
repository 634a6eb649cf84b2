/**
 * The three places a driver method goes, as `drivers/README.md` documents them: the README's lamp
 * package (its code blocks written out as files, `./_drivers_readme.ts`) declares `set_brightness`
 * in exactly the descriptor, the driver method and the client method, plus its `j` command beside
 * the client. It is driven through `j`'s command tree, built in-process from the package list a
 * program would ship, and through the typed client, over a real session on a Unix socket; and the
 * README's files type-check.
 */
import assert from "node:assert/strict";
import { type DriverPackage, driverRegistryOf } from "@jumpstarter/lib/driver";
import { type ClientInit, clientRegistryOf, DriverClient } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { finalize, jProgram } from "../cli/commands/j.ts";
import { describe, run } from "./_helpers.ts";
import { withReadmePackage } from "./_drivers_readme.ts";

/** The README's lamp driver, as the tests see it. */
interface Lamp {
  percent: number;
}

/** The README's lamp client. */
interface LampClient extends DriverClient {
  brightness(options?: { timeoutMs?: number }): Promise<number>;
  setBrightness(percent: number, options?: { timeoutMs?: number }): Promise<void>;
}

// the README's package, loaded once; its files are removed as soon as the modules are loaded
const { lampPackage, LampClass, LampClientClass } = await withReadmePackage(async (dir) => {
  const pkg = await import(`${dir}/package.ts`);
  const driver = await import(`${dir}/driver.ts`);
  const client = await import(`${dir}/client.ts`);
  return {
    lampPackage: pkg.driverPackage as DriverPackage,
    LampClass: driver.Lamp as abstract new (...args: never[]) => Lamp,
    LampClientClass: client.LampClient as abstract new (init: ClientInit) => LampClient,
  };
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
  assert.ok(lamp instanceof LampClass, "the config's my_lab.driver.Lamp built a Lamp");
  return { served, lamp, packages };
}

/** Runs `j ARGS...` in-process against the served tree; returns what it printed. */
async function runJ(
  root: DriverClient,
  packages: DriverPackage[],
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
  const desk = served.client.child("desk", LampClientClass);
  await desk.setBrightness(60, { timeoutMs: 5_000 });
  assert.equal(lamp.percent, 60);
  assert.equal(await desk.brightness(), 60);
  // the descriptor's schema is checked on the exporter: 140 never reaches the driver
  await assert.rejects(desk.setBrightness(140), InvalidArgumentError);
  assert.equal(lamp.percent, 60);
});

Deno.test("without the package in the list, j has no commands for the lamp", async () => {
  const { served } = await serveLab();
  await using _served = served;
  const program = finalize(jProgram(served.client, []));
  const desk = program.commands.find((command) => command.name() === "desk");
  assert.equal(desk, undefined, "a driver without a CLI in the list gets no command");
});

Deno.test("drivers/README.md's package files type-check", async () => {
  await withReadmePackage(async (dir) => {
    const result = await run(Deno.execPath(), ["check", "--quiet", dir], { timeoutMs: 120_000 });
    assert.equal(result.code, 0, `deno check of the README's files failed\n${describe(result)}`);
  });
});
