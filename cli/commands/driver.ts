/**
 * `jmp driver list`: the driver types this program can load, by short name and upstream class
 * path (what exporter configs may put in `type:`).
 */
import { Command } from "commander";
import { printTable } from "../table.ts";
import { driverRegistry } from "../driver_packages.ts";

export function driverCommand(): Command {
  const list = new Command("list").alias("ls")
    .description("List the driver types exporter configs can use")
    .action(() => {
      const rows = driverRegistry.types()
        .map((type) => [type.name, type.aliases.join(", ")])
        .sort((a, b) => a[0]!.localeCompare(b[0]!));
      printTable(["name", "type"], rows, { emptyMessage: "No drivers found." });
    });
  return new Command("driver").description("Drivers known to this program").addCommand(list);
}
