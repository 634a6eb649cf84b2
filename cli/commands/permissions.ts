/**
 * `jmp-exporter permissions CONFIG`: the Deno permission flags an exporter serving the config
 * needs (its drivers' and the program's own), and a table of each driver's grants (or
 * `-o json|yaml`). `jmp run` from source serves under exactly this set.
 *
 * @module
 */
import { Command, Option } from "commander";
import { loadExporterConfig } from "@jumpstarter/lib/config";
import {
  describeGrants,
  type DriverPackage,
  grantFlags,
  type Grants,
  mergeGrants,
} from "@jumpstarter/lib/driver";
import {
  type ConfigGrants,
  configGrants,
  CONFINED_VARIABLE,
  confinementOf,
  defaultSocketDir,
  SOCKET_DIR_VARIABLE,
} from "@jumpstarter/lib/exporter";
import { DRIVER_PACKAGES } from "../driver_packages.ts";
import { printStructured } from "../output.ts";
import { formatTable } from "../table.ts";
import { type ServeFlags, serveModeOf } from "./run_confined.ts";

/** What a type that declares no grants needs. */
export const UNDECLARED = "undeclared: needs -A";

/** The row of the program's own grants. */
export const PROGRAM_ROW = "(exporter)";

/** A config's grants with the program's own, for one socket directory. */
export interface Permissions {
  readonly drivers: ConfigGrants;
  /** The program's own grants; undefined when a driver type declares none (so `-A`). */
  readonly program?: Grants;
  /** The private directory of the session sockets (`JMP_EXPORTER_SOCKET_DIR`). */
  readonly socketDir: string;
}

/** The flags: `-A` when a driver's type declares nothing. */
export function flagsOf(permissions: Permissions): string[] {
  const { drivers, program } = permissions;
  return program ? grantFlags(mergeGrants([program, drivers.grants])) : ["-A"];
}

/** The environment the flags assume (where the sockets go; not to be confined again). */
export function environmentOf(permissions: Permissions): Record<string, string> {
  return { [SOCKET_DIR_VARIABLE]: permissions.socketDir, [CONFINED_VARIABLE]: "1" };
}

/** The text `permissions` prints by default: the flags, the environment, the table. */
export function formatPermissions(permissions: Permissions): string {
  const { drivers, program } = permissions;
  const rows = drivers.drivers.map((driver) => [
    driver.path,
    driver.type,
    driver.grants ? describeGrants(driver.grants) : UNDECLARED,
  ]);
  for (const hook of drivers.hooks) {
    rows.push([`(${hook.name})`, "hook", describeGrants(hook.grants)]);
  }
  if (program) rows.push([PROGRAM_ROW, "", describeGrants(program)]);
  const table = formatTable(["driver", "type", "grants"], rows, {
    emptyMessage: "No drivers found.",
  });
  const env = Object.entries(environmentOf(permissions)).map(([name, value]) => `${name}=${value}`);
  return `${flagsOf(permissions).join(" ")}\nwith ${env.join(" ")}\n\n${table}`;
}

interface PermissionsFlags extends ServeFlags {
  output: "table" | "json" | "yaml";
  socketDir?: string;
}

/** The `permissions` command, over the given driver packages (default: the shipped ones). */
export function permissionsCommand(packages: readonly DriverPackage[] = DRIVER_PACKAGES): Command {
  return new Command("permissions")
    .description("Print the Deno permissions an exporter serving a config needs")
    .argument("<config>", "exporter config file")
    .addOption(
      new Option("-o, --output <mode>", "output format").choices(["table", "json", "yaml"])
        .default("table"),
    )
    .option("--socket-dir <dir>", "private directory for the session sockets")
    .option("--tls-grpc-listener <[host:]port>", "as `run`: direct mode on TCP")
    .option("--tls-grpc-insecure", "as `run`: direct mode in plaintext")
    .option("--tls-cert <pem>", "as `run`: TLS certificate")
    .option("--tls-key <pem>", "as `run`: TLS private key")
    .option("--passphrase-file <path>", "as `run`: the passphrase file")
    .action(async (path: string, flags: PermissionsFlags) => {
      const config = await loadExporterConfig(path);
      const socketDir = flags.socketDir ?? defaultSocketDir(Deno.env.toObject());
      const drivers = configGrants(config, packages, socketDir);
      const mode = serveModeOf(config, flags);
      const program = confinementOf(config, packages, mode, Deno.env.toObject())
        ?.program(socketDir);
      const permissions: Permissions = { drivers, socketDir, ...(program ? { program } : {}) };
      if (flags.output === "table") {
        console.log(formatPermissions(permissions));
        return;
      }
      printStructured({
        flags: flagsOf(permissions),
        env: environmentOf(permissions),
        grants: program ? mergeGrants([program, drivers.grants]) : drivers.grants,
        drivers: drivers.drivers.map((driver) => ({
          path: driver.path,
          type: driver.type,
          grants: driver.grants ?? null,
        })),
        hooks: drivers.hooks,
        program: program ?? null,
      }, flags.output);
    });
}
