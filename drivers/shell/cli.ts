/**
 * `j <name> <method> [-e KEY=VALUE]... [ARGS...]`: runs a shell method, printing its output as it
 * comes. The action returns the method's exit code for the program to exit with.
 */
import { Command, InvalidArgumentError } from "commander";
import { type ExitCodeSink, withExitCode } from "@jumpstarter/lib/client";
import type { ShellClient } from "./client.ts";
import { shellInterface } from "./interface.ts";

/** Where output goes (the terminal, unless a test captures it). */
export interface ShellCliIo {
  stdout(text: string): Promise<void>;
  stderr(text: string): Promise<void>;
  /** Records the method's non-zero exit code (default: `Deno.exitCode`, which `j` exits with). */
  setExitCode?: ExitCodeSink;
}

/** What the program hands to driver CLIs (unused here). */
export type ShellCliContext = object;

const encoder = new TextEncoder();

async function writeAll(target: { write(p: Uint8Array): Promise<number> }, text: string) {
  const bytes = encoder.encode(text);
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await target.write(bytes.subarray(offset));
  }
}

const terminal: ShellCliIo = {
  stdout: (text) => writeAll(Deno.stdout, text),
  stderr: (text) => writeAll(Deno.stderr, text),
};

function envPair(text: string, previous: Record<string, string>): Record<string, string> {
  const equals = text.indexOf("=");
  if (equals <= 0) {
    throw new InvalidArgumentError(`Invalid --env value '${text}'. Use KEY=VALUE.`);
  }
  return { ...previous, [text.slice(0, equals)]: text.slice(equals + 1) };
}

/** A shell's exit status for a return code (killed by signal N: 128+N, as shells report). */
export function exitStatus(returncode: number): number {
  return returncode < 0 ? 128 - returncode : returncode;
}

/** An action whose result is the exit code (recorded by `withExitCode`). */
type ExitAction = (args: string[], options: { env: Record<string, string> }) => Promise<number>;

function methodCommand(
  name: string,
  description: string,
  action: ExitAction,
  setExitCode?: ExitCodeSink,
): Command {
  return new Command(name)
    .description(description)
    .option(
      "-e, --env <KEY=VALUE>",
      "environment variable for the script (repeatable)",
      envPair,
      {},
    )
    .argument("[args...]", "arguments of the script ($1, $2...)")
    // everything after the first argument belongs to the script, options included
    .passThroughOptions()
    .allowUnknownOption()
    .action(withExitCode(action, setExitCode));
}

/**
 * Builds the command group of `client`, named `name`: one command per method named in the
 * report (this driver's exporter names them all), and a fallback for any other method name.
 */
export function shellCli(
  client: ShellClient,
  name: string,
  _context: ShellCliContext = {},
  io: ShellCliIo = terminal,
): Command {
  const group = new Command(name)
    .description(client.description ?? "Shell command executor")
    .enablePositionalOptions();
  const run = async (method: string, args: string[], env: Record<string, string>) =>
    exitStatus(await client.run(method, { args, env, onStdout: io.stdout, onStderr: io.stderr }));
  const own = new Set(Object.keys(shellInterface.methods));
  for (const [method, description] of Object.entries(client.methodsDescription)) {
    if (own.has(method)) continue;
    const action: ExitAction = (args, { env }) => run(method, args, env);
    group.addCommand(methodCommand(method, description, action, io.setExitCode));
  }
  const fallback = methodCommand("run", "Execute a shell method by name", async (args, { env }) => {
    const [method, ...rest] = args;
    if (method === undefined) {
      const methods = await client.methods();
      throw new InvalidArgumentError(`missing method name; methods: ${methods.join(", ")}`);
    }
    return await run(method, rest, env);
  }, io.setExitCode);
  group.addCommand(fallback, { isDefault: true, hidden: true });
  return group;
}
