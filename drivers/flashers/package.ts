/**
 * The descriptor of `@jumpstarter/driver-flashers`: BaseFlasher and its TI J784S4 and R-Car S4
 * presets, `BaseFlasherClient` and its `j` commands.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { baseFlasherType, rcarS4FlasherType, tiJ784s4FlasherType } from "./driver.ts";
import { BaseFlasherClient } from "./client.ts";
import { flasherCli } from "./cli.ts";
import { flasherInterface } from "./interface.ts";

/** `@jumpstarter/driver-flashers`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-flashers",
  driverTypes: [baseFlasherType, tiJ784s4FlasherType, rcarS4FlasherType],
  clients: [{ classPaths: [flasherInterface.client], client: BaseFlasherClient, cli: flasherCli }],
});
