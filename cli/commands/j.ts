/**
 * `j`: the in-shell driver CLI, built from the connected exporter's driver tree.
 */
import { Command } from "commander";
import {
  CompositeClient,
  type DriverClient,
  env,
  FallbackDriverClient,
  MissingHostError,
} from "@jumpstarter/lib/client";
import { cliBuilderOf, type DriverPackage } from "@jumpstarter/lib/driver";
import { cliContext } from "../drivers.ts";
import { type CliBuilder, clientRegistry, DRIVER_PACKAGES } from "../driver_packages.ts";

function kebab(name: string): string {
  return name.replaceAll("_", "-");
}

/** The command for one client: its registered CLI, or a group of its children's commands. */
function clientCommand(
  client: DriverClient,
  name: string,
  packages: readonly DriverPackage[],
): Command | undefined {
  const builder = cliBuilderOf(packages, client) as CliBuilder | undefined;
  if (builder) {
    return builder(client, name, {
      ...cliContext,
      addChildren: (command: Command) => addChildren(command, client, packages),
    });
  }
  if (client instanceof FallbackDriverClient && client.children.size === 0) {
    return unavailableCommand(client, name);
  }
  const isGroup = client instanceof CompositeClient || client instanceof FallbackDriverClient;
  if (!isGroup || client.children.size === 0) return undefined;
  const group = new Command(name).description(client.description ?? "Generic composite device");
  addChildren(group, client, packages);
  return group;
}

/** A command that says why the driver has no typed client instead of "too many arguments". */
function unavailableCommand(client: FallbackDriverClient, name: string): Command {
  const hint = client.reason.includes("allow-list")
    ? " (allow it with JMP_DRIVERS_ALLOW or drivers.allow in the client config)"
    : "";
  return new Command(name)
    .description(`unavailable: ${client.reason}`)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]")
    .action(() => {
      throw new Error(`${client.reason}${hint}`);
    });
}

function addChildren(
  command: Command,
  client: DriverClient,
  packages: readonly DriverPackage[],
): void {
  for (const [name, child] of client.children) {
    const sub = clientCommand(child, name, packages);
    // as upstream, a driver without a usable client is left out of the help; called, it says why
    const hidden = child instanceof FallbackDriverClient && child.children.size === 0;
    if (sub) command.addCommand(sub, { hidden });
  }
}

/**
 * Builds the `j` program for a client tree, its commands from the CLIs of `packages` (the
 * program's list unless a test passes its own).
 */
export function jProgram(
  root: DriverClient,
  packages: readonly DriverPackage[] = DRIVER_PACKAGES,
): Command {
  const program = new Command("j")
    .description(root.description ?? "Generic composite device")
    .showHelpAfterError();
  addChildren(program, root, packages);
  return program;
}

/**
 * Applies commander's conventions to a whole tree: kebab-case names, errors thrown not exited.
 * A driver command sets `j`'s exit code by returning it from an action wrapped in
 * `withExitCode` (`@jumpstarter/lib/client`), which records it in `Deno.exitCode`.
 */
export function finalize(command: Command): Command {
  command.exitOverride();
  command.name(kebab(command.name()));
  for (const sub of command.commands) finalize(sub);
  return command;
}

/** What `j --help` says outside a session, where there are no driver commands to list. */
const OUTSIDE_SESSION_HELP = `Usage: j <driver> <command> [options]

j is Jumpstarter's driver CLI. Its commands come from the drivers of the exporter it is
connected to (JUMPSTARTER_HOST), so they exist only inside a session. To get one:

  jmp shell --exporter-config lab.yaml     serve a config locally (try examples/virtual-lab.yaml)
  jmp shell -l board=rpi4                  lease a board from a controller (jmp config client)
  jmp shell --tls-grpc HOST:PORT           an exporter served by jmp run --tls-grpc-listener

Inside, \`j --help\` lists the exporter's drivers and \`j <driver> --help\` their commands.
Outside a shell, set JUMPSTARTER_HOST to the socket \`jmp run --exporter-config lab.yaml\` prints.
`;

/** Runs `j ARGS...` against `JUMPSTARTER_HOST`. */
export async function runJ(args: string[]): Promise<void> {
  if (!Deno.env.get("JUMPSTARTER_HOST")) {
    if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
      console.log(OUTSIDE_SESSION_HELP);
    }
    throw new MissingHostError();
  }
  await using handle = await env({
    registry: clientRegistry,
    onWarning: (message) => {
      if (!Deno.env.get("_JMP_SUPPRESS_DRIVER_WARNINGS")) console.error(`Warning: ${message}`);
    },
  });
  const program = finalize(jProgram(handle.root));
  await program.parseAsync(args, { from: "user" });
}
