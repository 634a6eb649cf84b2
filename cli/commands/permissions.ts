/**
 * `jmp-exporter permissions CONFIG`: the Deno permission flags the config's drivers need, and a
 * table of each driver's grants (or `-o json|yaml`).
 *
 * @module
 */
import { Command, Option } from "commander";
import { loadExporterConfig } from "@jumpstarter/lib/config";
import { describeGrants, type DriverPackage, grantFlags } from "@jumpstarter/lib/driver";
import { type ConfigGrants, configGrants } from "@jumpstarter/lib/exporter";
import { DRIVER_PACKAGES } from "../driver_packages.ts";
import { printStructured } from "../output.ts";
import { formatTable } from "../table.ts";

/** What a type that declares no grants needs. */
export const UNDECLARED = "undeclared: needs -A";

/** The flags line: `-A` when a driver's type declares nothing. */
export function flagsOf(result: ConfigGrants): string[] {
  return result.undeclared ? ["-A"] : grantFlags(result.grants);
}

/** The text `permissions` prints by default: the flags, a blank line, the table. */
export function formatPermissions(result: ConfigGrants): string {
  const rows = result.drivers.map((driver) => [
    driver.path,
    driver.type,
    driver.grants ? describeGrants(driver.grants) : UNDECLARED,
  ]);
  const table = formatTable(["driver", "type", "grants"], rows, {
    emptyMessage: "No drivers found.",
  });
  return `${flagsOf(result).join(" ")}\n\n${table}`;
}

/** The `permissions` command, over the given driver packages (default: the shipped ones). */
export function permissionsCommand(packages: readonly DriverPackage[] = DRIVER_PACKAGES): Command {
  return new Command("permissions")
    .description("Print the Deno permissions an exporter config's drivers need")
    .argument("<config>", "exporter config file")
    .addOption(
      new Option("-o, --output <mode>", "output format").choices(["table", "json", "yaml"])
        .default("table"),
    )
    .action(async (path: string, options: { output: "table" | "json" | "yaml" }) => {
      const result = configGrants(await loadExporterConfig(path), packages);
      if (options.output === "table") {
        console.log(formatPermissions(result));
        return;
      }
      printStructured({
        flags: flagsOf(result),
        grants: result.grants,
        drivers: result.drivers.map((driver) => ({
          path: driver.path,
          type: driver.type,
          grants: driver.grants ?? null,
        })),
      }, options.output);
    });
}
