/**
 * The descriptor of `@jumpstarter/driver-yepkit`: the Ykush driver type. It reports upstream's
 * `PowerClient`, which belongs to `@jumpstarter/driver-power`: a program lists both.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import type { UsbBackend } from "@jumpstarter/lib/usb";
import { ykushDriverType, ykushType } from "./driver.ts";

/** The Yepkit package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-yepkit",
  driverTypes: [ykushType],
  clients: [],
});

/** The same package on another USB bus (an emulated hub, in tests). */
export function yepkitPackageFor(usb: UsbBackend): DriverPackage {
  return definePackage({
    name: "@jumpstarter/driver-yepkit",
    driverTypes: [ykushDriverType(usb)],
    clients: [],
  });
}
