/**
 * `jmp driver list`: the driver types this program can load, by short name and upstream class
 * path (what exporter configs may put in `type:`).
 */
import { Command } from "commander";
import { defaultDriverRegistry } from "@jumpstarter/lib/exporter";
import { printTable } from "../table.ts";
import "../drivers.ts";

export function driverCommand(): Command {
  const list = new Command("list").alias("ls")
    .description("List the driver types exporter configs can use")
    .action(() => {
      const rows = defaultDriverRegistry.types()
        .map((type) => [type.name, type.aliases.join(", ")])
        .sort((a, b) => a[0]!.localeCompare(b[0]!));
      printTable(["name", "type"], rows, { emptyMessage: "No drivers found." });
    });
  return new Command("driver").description("Drivers known to this program").addCommand(list);
}
