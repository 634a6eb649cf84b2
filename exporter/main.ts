/**
 * `jmp-exporter`: runs one exporter in the foreground, the same as `jmp run` (registered with a
 * controller, direct on TCP, or on a local socket), for hosts that only need the exporter side.
 *
 * @module
 */
import { Command } from "commander";
import { runCommand } from "@jumpstarter/cli/run";
import { permissionsCommand } from "@jumpstarter/cli/permissions";
import { exitCodeFor } from "@jumpstarter/cli/errors";
import { VERSION } from "@jumpstarter/cli/version";

/** The `jmp-exporter` program: `jmp run`'s options at the top level. */
export function exporterProgram(): Command {
  const program = runCommand().name("jmp-exporter").version(VERSION);
  program.addCommand(permissionsCommand().exitOverride());
  program.exitOverride();
  return program;
}

if (import.meta.main) {
  let code = 0;
  try {
    await exporterProgram().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    code = exitCodeFor(error, { usageExitCode: 2 });
  }
  Deno.exit(code);
}
