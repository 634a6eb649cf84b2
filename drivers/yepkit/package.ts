/**
 * The descriptor of `@jumpstarter/driver-yepkit`: the Ykush driver type. It reports upstream's
 * `PowerClient`, which belongs to `@jumpstarter/driver-power`: a program lists both.
 *
 * @module
 */
import { definePackage, type DriverPackage, type Grants } from "@jumpstarter/lib/driver";
import type { UsbBackend } from "@jumpstarter/lib/usb";
import { ykushDriverType, ykushType } from "./driver.ts";

/** The Yepkit package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-yepkit",
  driverTypes: [ykushType],
  clients: [],
  grants: { Ykush: ykushGrants },
});

/** The same package on another USB bus (an emulated hub, in tests). */
export function yepkitPackageFor(usb: UsbBackend): DriverPackage {
  return definePackage({
    name: "@jumpstarter/driver-yepkit",
    driverTypes: [ykushDriverType(usb)],
    clients: [],
    grants: { Ykush: ykushGrants },
  });
}

/**
 * None: the hub is reached only through npm `usb`'s native addon (loaded under the exporter's own
 * grant on Deno's npm cache), and libusb's own reads of `/sys` and `/dev/bus/usb` are outside
 * Deno's flags (measured: confined, a call gets libusb's own answer).
 */
function ykushGrants(): Grants {
  return {};
}
