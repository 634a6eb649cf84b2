/**
 * `jmp` (and `j`, when invoked under that name or as `jmp j ...`).
 *
 * @module
 */
import { Command, Option } from "commander";
import { exitCodeFor } from "./errors.ts";
import { finalize, runJ } from "./commands/j.ts";
import { runCommand } from "./commands/run.ts";
import { shellCommand } from "./commands/shell.ts";
import { versionCommand } from "./commands/version.ts";
import { configCommand } from "./commands/config.ts";
import { adminCommand } from "./commands/admin.ts";
import { loginCommand } from "./commands/login.ts";
import { authCommand } from "./commands/auth.ts";
import { driverCommand } from "./commands/driver.ts";
import { createCommand, deleteCommand, getCommand, updateCommand } from "./commands/leases.ts";
import { completionCommand, completions } from "./commands/completion.ts";
import { configureLogging, debugEnabled, LOG_FORMATS, LOG_LEVELS } from "./logging.ts";
import { versionLine } from "./commands/version.ts";

/** The `jmp` command tree. */
export function jmpProgram(): Command {
  const program = new Command("jmp")
    .description("Jumpstarter: share and drive hardware test targets")
    .showHelpAfterError()
    .version(versionLine(), "--version", "Show the version and exit")
    .addOption(
      new Option("--log-level <level>", "Set the log level")
        .choices([...LOG_LEVELS, ...LOG_LEVELS.map((l) => l.toLowerCase())]),
    )
    .addOption(
      new Option("--log-format <format>", "Log output format (affects `jmp run`)")
        .choices([...LOG_FORMATS]),
    )
    .hook("preAction", (command) => configureLogging(command.opts()))
    .addCommand(completionCommand())
    .addCommand(shellCommand())
    .addCommand(runCommand())
    .addCommand(versionCommand())
    .addCommand(configCommand())
    .addCommand(adminCommand())
    .addCommand(loginCommand())
    .addCommand(authCommand())
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
  if (args[0] === "__complete") {
    for (const candidate of completions(jmpProgram(), args.slice(1))) console.log(candidate);
    return 0;
  }
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
    return exitCodeFor(error, { usageExitCode: 2, debug: debugEnabled() });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
