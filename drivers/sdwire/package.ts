/**
 * The descriptor of `@jumpstarter/driver-sdwire`: the SDWire driver type. It reports the storage
 * mux flasher client of `@jumpstarter/driver-opendal`, which a program lists too.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { sdwireDriverType, type SdwireHost, sdwireType } from "./driver.ts";

/** The SD-Wire package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-sdwire",
  driverTypes: [sdwireType],
  clients: [],
});

/** The same package with its driver talking to `host` (an emulated SD-Wire, in tests). */
export function sdwirePackageFor(host: SdwireHost): DriverPackage {
  return definePackage({
    name: "@jumpstarter/driver-sdwire",
    driverTypes: [sdwireDriverType(host)],
    clients: [],
  });
}
