/**
 * The can package's descriptor: Can, IsoTpPython, IsoTpSocket and their clients.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { canType } from "./can_driver.ts";
import { isoTpPythonType, isoTpSocketType } from "./isotp_driver.ts";
import { CanClient, IsoTpClient } from "./client.ts";
import { canInterface, isoTpInterface } from "./interface.ts";

/** `@jumpstarter/driver-can`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-can",
  driverTypes: [canType, isoTpPythonType, isoTpSocketType],
  clients: [
    { classPaths: [canInterface.client], client: CanClient },
    { classPaths: [isoTpInterface.client], client: IsoTpClient },
  ],
});
