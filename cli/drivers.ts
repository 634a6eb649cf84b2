/**
 * What the program hands to driver CLIs. The CLIs themselves come from the driver packages
 * (`./driver_packages.ts`).
 */
import type { Command } from "commander";
import type { ProgressReporter } from "@jumpstarter/lib/streams";
import { terminalProgress } from "./progress.ts";
import { confirmOnTerminal } from "./confirm.ts";

/** What driver CLIs get from the program: how to show progress. */
export interface CliContext {
  progress: ProgressReporter;
  /** For a composite's own CLI: adds its children's commands to `command`. */
  addChildren?: (command: Command) => void;
  /** Confirms what a command did, on a terminal only (piped, `j` stays as quiet as upstream's). */
  confirm?: (message: string) => void;
}

/** The context handed to every driver CLI. */
export const cliContext: CliContext = { progress: terminalProgress, confirm: confirmOnTerminal };
