/**
 * The corellium package's descriptor: the Corellium driver type and its composite client. Its
 * children report VirtualPowerClient and PySerialClient: list the power and serial packages too.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { corelliumType } from "./driver.ts";
import { CorelliumClient } from "./client.ts";
import { corelliumInterface } from "./interface.ts";

/** `@jumpstarter/driver-corellium`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-corellium",
  driverTypes: [corelliumType],
  clients: [{
    classPaths: [corelliumInterface.client],
    client: CorelliumClient,
  }],
});
