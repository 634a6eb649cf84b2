/**
 * The descriptor of `@jumpstarter/driver-dutlink`: the DUT Link driver types. Its children report
 * clients other packages provide (composite, power, storage mux flasher, serial), so a program
 * lists those packages too.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { dutlinkDriverTypes, type DutlinkHost, dutlinkTypes } from "./driver.ts";

/** The DUT Link package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-dutlink",
  driverTypes: dutlinkTypes,
  clients: [],
});

/** The same package with its drivers talking to `host` (an emulated board, in tests). */
export function dutlinkPackageFor(host: DutlinkHost): DriverPackage {
  return definePackage({
    name: "@jumpstarter/driver-dutlink",
    driverTypes: dutlinkDriverTypes(host),
    clients: [],
  });
}
