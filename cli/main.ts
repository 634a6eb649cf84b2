/**
 * `jmp` (and `j`, when invoked under that name or as `jmp j ...`).
 *
 * @module
 */
import { Command } from "commander";
import { exitCodeFor } from "./errors.ts";
import { finalize, runJ } from "./commands/j.ts";
import { runCommand } from "./commands/run.ts";
import { shellCommand } from "./commands/shell.ts";
import { versionCommand } from "./commands/version.ts";
import { configCommand } from "./commands/config.ts";
import { adminCommand } from "./commands/admin.ts";
import { driverCommand } from "./commands/driver.ts";
import { createCommand, deleteCommand, getCommand, updateCommand } from "./commands/leases.ts";

/** The `jmp` command tree. */
export function jmpProgram(): Command {
  const program = new Command("jmp")
    .description("Jumpstarter: share and drive hardware test targets")
    .showHelpAfterError()
    .addCommand(shellCommand())
    .addCommand(runCommand())
    .addCommand(versionCommand())
    .addCommand(configCommand())
    .addCommand(adminCommand())
    .addCommand(driverCommand())
    .addCommand(createCommand())
    .addCommand(getCommand())
    .addCommand(updateCommand())
    .addCommand(deleteCommand());
  program.command("j")
    .description("Run the driver CLI of the exporter in JUMPSTARTER_HOST (as `j ...`)")
    .helpOption(false)
    .allowUnknownOption()
    .argument("[args...]")
    .action(async (args: string[]) => await runJ(args));
  return finalize(program);
}

/** Runs the program for `args` and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const invokedAsJ = /(^|\/)j$/.test(Deno.execPath());
  try {
    if (invokedAsJ || args[0] === "j") {
      try {
        await runJ(invokedAsJ ? args : args.slice(1));
      } catch (error) {
        return exitCodeFor(error, { usageExitCode: 1 });
      }
      // a driver command reports a non-zero result (e.g. a shell method's code) via exitCode
      return Deno.exitCode;
    }
    await jmpProgram().parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    return exitCodeFor(error, { usageExitCode: 2, debug: Deno.env.has("JMP_DEBUG") });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
