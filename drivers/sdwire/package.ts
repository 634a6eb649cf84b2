/**
 * The descriptor of `@jumpstarter/driver-sdwire`: the SDWire driver type. It reports the storage
 * mux flasher client of `@jumpstarter/driver-opendal`, which a program lists too.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  mergeGrants,
  openedByDeno,
} from "@jumpstarter/lib/driver";
import { type SdwireConfig, sdwireDriverType, type SdwireHost, sdwireType } from "./driver.ts";

/** The SD-Wire package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-sdwire",
  driverTypes: [sdwireType],
  clients: [],
  grants: { SDWire: sdwireGrants },
});

/** The same package with its driver talking to `host` (an emulated SD-Wire, in tests). */
export function sdwirePackageFor(host: SdwireHost): DriverPackage {
  return definePackage({
    name: "@jumpstarter/driver-sdwire",
    driverTypes: [sdwireDriverType(host)],
    clients: [],
    grants: { SDWire: sdwireGrants },
  });
}

/**
 * The card reader's block device: `storage_device`, or, when null, found in sysfs next to the
 * SD-Wire (its USB device's link, the hub's tree) and opened by its `/dev/disk/by-diskseq` link.
 * Deno opens a `/dev` node and reads sysfs only with `-A`. The SD-Wire itself is reached through
 * npm `usb`'s native addon: libusb's own reads of `/sys` and `/dev/bus/usb` are outside Deno's
 * flags, so the bus needs no grant.
 */
function sdwireGrants(config: SdwireConfig): Grants {
  const device = config.storage_device;
  if (device !== null) return openedByDeno([device], { write: true });
  const links = "/dev/disk/by-diskseq";
  return mergeGrants([
    openedByDeno(["/sys/bus/usb/devices", "/sys/devices"]),
    openedByDeno([links], { write: true }),
  ]);
}
