/**
 * The descriptor of `@jumpstarter/driver-uboot`: the UbootConsole driver type,
 * `UbootConsoleClient` and its `j` commands. Apart from `mod.ts` so that client-only users do
 * not load the exporter side.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { ubootConsoleType } from "./driver.ts";
import { UbootConsoleClient } from "./client.ts";
import { ubootCli } from "./cli.ts";
import { ubootInterface } from "./interface.ts";

/** `@jumpstarter/driver-uboot`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-uboot",
  driverTypes: [ubootConsoleType],
  clients: [{ classPaths: [ubootInterface.client], client: UbootConsoleClient, cli: ubootCli }],
  // it talks to U-Boot only through its children, which declare their own
  grants: { UbootConsole: () => ({}) },
});
