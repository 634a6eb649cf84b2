/**
 * The CLI edge: turns errors into messages and exit codes (spec/cli.md section 6).
 */
import { CommanderError } from "commander";
import { ConfigError } from "@jumpstarter/lib/config";
import { JumpstarterError, withoutResolutionNote } from "@jumpstarter/lib/wire";

/** A bad command line the user can fix (exit 2 for `jmp`, printed with a hint). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit code of a command that already reported its outcome (e.g. a shell's exit status). */
export class ExitCode extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.name = "ExitCode";
    this.code = code;
  }
}

/** Options of {@linkcode exitCodeFor}. */
export interface ExitOptions {
  /** Exit code for usage errors: 2 for `jmp`, 1 for `j` (upstream runs `j` non-standalone). */
  usageExitCode: number;
  debug?: boolean;
}

/**
 * Reports `error` on stderr (unless commander already did) and returns the process exit code.
 */
export function exitCodeFor(error: unknown, options: ExitOptions): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
      error.code === "commander.help"
    ) {
      return 0;
    }
    return options.usageExitCode;
  }
  if (error instanceof UsageError) {
    console.error(`Error: ${error.message}`);
    return options.usageExitCode;
  }
  if (
    error instanceof JumpstarterError || error instanceof ConfigError ||
    error instanceof Deno.errors.NotFound
  ) {
    console.error(`Error: ${error.message}`);
    if (options.debug && error.stack) console.error(error.stack);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Error: ${withoutResolutionNote(message)}`);
  if (options.debug && error instanceof Error && error.stack) console.error(error.stack);
  return 1;
}
