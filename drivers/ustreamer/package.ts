/**
 * The uStreamer package's descriptor: the UStreamer driver type, `UStreamerClient` and its `j`
 * commands. Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { ustreamerType } from "./driver.ts";
import { UStreamerClient } from "./client.ts";
import { ustreamerCli } from "./cli.ts";
import { ustreamerInterface } from "./interface.ts";

/** `@jumpstarter/driver-ustreamer`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-ustreamer",
  driverTypes: [ustreamerType],
  clients: [{
    classPaths: [ustreamerInterface.client],
    client: UStreamerClient,
    cli: ustreamerCli,
  }],
});
