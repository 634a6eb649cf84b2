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
import { cliBuilderFor, cliContext } from "../drivers.ts";
import { clientRegistry } from "../driver_packages.ts";

function kebab(name: string): string {
  return name.replaceAll("_", "-");
}

/** The command for one client: its registered CLI, or a group of its children's commands. */
function clientCommand(client: DriverClient, name: string): Command | undefined {
  const builder = cliBuilderFor(client);
  if (builder) {
    return builder(client, name, {
      ...cliContext,
      addChildren: (command: Command) => addChildren(command, client),
    });
  }
  if (client instanceof FallbackDriverClient && client.children.size === 0) {
    return unavailableCommand(client, name);
  }
  const isGroup = client instanceof CompositeClient || client instanceof FallbackDriverClient;
  if (!isGroup || client.children.size === 0) return undefined;
  const group = new Command(name).description(client.description ?? "Generic composite device");
  addChildren(group, client);
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

function addChildren(command: Command, client: DriverClient): void {
  for (const [name, child] of client.children) {
    const sub = clientCommand(child, name);
    // as upstream, a driver without a usable client is left out of the help; called, it says why
    const hidden = child instanceof FallbackDriverClient && child.children.size === 0;
    if (sub) command.addCommand(sub, { hidden });
  }
}

/** Builds the `j` program for a client tree. */
export function jProgram(root: DriverClient): Command {
  const program = new Command("j")
    .description(root.description ?? "Generic composite device")
    .showHelpAfterError();
  addChildren(program, root);
  return program;
}

type ActionHandler = (args: unknown[]) => unknown;

/**
 * Lets a driver command's numeric result (e.g. a shell method's exit code) become `j`'s exit
 * code. Commander discards action results, so its (private) action handler is wrapped.
 */
function propagateExitCode(command: Command): void {
  const holder = command as unknown as { _actionHandler?: ActionHandler };
  const handler = holder._actionHandler;
  if (!handler) return;
  holder._actionHandler = async (args) => {
    const result = await handler.call(command, args);
    if (typeof result === "number" && result !== 0) Deno.exitCode = result;
    return result;
  };
}

/** Applies commander's conventions to a whole tree: kebab-case names, errors thrown not exited. */
export function finalize(command: Command): Command {
  command.exitOverride();
  command.name(kebab(command.name()));
  propagateExitCode(command);
  for (const sub of command.commands) finalize(sub);
  return command;
}

/** Runs `j ARGS...` against `JUMPSTARTER_HOST`. */
export async function runJ(args: string[]): Promise<void> {
  if (!Deno.env.get("JUMPSTARTER_HOST")) {
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
