/**
 * The shell package's descriptor: the Shell driver type, `ShellClient` and its `j` commands.
 * Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { shellType } from "./driver.ts";
import { ShellClient } from "./client.ts";
import { shellCli } from "./cli.ts";
import { shellInterface } from "./interface.ts";

/** `@jumpstarter/driver-shell`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-shell",
  driverTypes: [shellType],
  clients: [{ classPaths: [shellInterface.client], client: ShellClient, cli: shellCli }],
});
