/**
 * `jmp config client|exporter ...`: local config files only. `jmp conf` works, as upstream's
 * top-level aliases apply to `config` itself, but nothing below it takes an alias.
 */
import { Command } from "commander";
import { configClientCommand } from "./config_client.ts";
import { configExporterCommand } from "./config_exporter.ts";

export function configCommand(): Command {
  return new Command("config")
    .alias("conf")
    .description("Modify jumpstarter config files")
    .addCommand(configClientCommand())
    .addCommand(configExporterCommand());
}
