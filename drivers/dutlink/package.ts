/**
 * The descriptor of `@jumpstarter/driver-dutlink`: the DUT Link driver types. Its children report
 * clients other packages provide (composite, power, storage mux flasher, serial), so a program
 * lists those packages too.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  type GrantsOf,
  mergeGrants,
  openedByDeno,
} from "@jumpstarter/lib/driver";
import { consoleLogGrants } from "@jumpstarter/driver-serial/driver";
import { pyserialGrants, ttyGrants } from "@jumpstarter/driver-serial/package";
import { dutlinkDriverTypes, type DutlinkHost, dutlinkTypes } from "./driver.ts";
import type { DutlinkConfig, DutlinkSerialConfig, DutlinkStorageConfig } from "./config.ts";

/** The DUT Link package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-dutlink",
  driverTypes: dutlinkTypes,
  clients: [],
  grants: dutlinkGrants(),
});

/** The same package with its drivers talking to `host` (an emulated board, in tests). */
export function dutlinkPackageFor(host: DutlinkHost): DriverPackage {
  return definePackage({
    name: "@jumpstarter/driver-dutlink",
    driverTypes: dutlinkDriverTypes(host),
    clients: [],
    grants: dutlinkGrants(),
  });
}

/**
 * Where the board's console is looked up: each tty's sysfs entry (`/sys/class/tty/NAME/device`)
 * and the ids of the USB device it leads to (below `/sys/devices`), which Deno reads only with
 * `-A`.
 */
const CONSOLE_LOOKUP: Grants = openedByDeno(["/sys/class/tty", "/sys/devices"]);

/** The board's own console: looked up, opened through libc (no path grant), logged. */
function boardConsole(logDir: string | undefined): Grants {
  return mergeGrants([CONSOLE_LOOKUP, ttyGrants(), consoleLogGrants(logDir)]);
}

/** The medium's block device, waited for, written and read back (`-A` for a `/dev` node). */
function storage(config: DutlinkStorageConfig): Grants {
  return openedByDeno([config.storage_device], { write: true });
}

/**
 * Each type's grants. The board itself is reached through npm `usb`'s native addon, loaded under
 * the exporter's own grant on Deno's npm cache: libusb reads `/sys/bus/usb` and opens
 * `/dev/bus/usb` itself, where Deno's flags do not reach, so the bus needs no grant (measured:
 * confined, a call gets libusb's own answer).
 */
function dutlinkGrants(): Record<string, GrantsOf> {
  return {
    Dutlink: (config: DutlinkConfig) => {
      if (config.alternate_console === null) {
        return mergeGrants([storage(config), boardConsole(undefined)]);
      }
      // the board's serial number is learned from its own console when not configured
      const lookup = config.serial === null ? [CONSOLE_LOOKUP] : [];
      const console = pyserialGrants({ url: config.alternate_console, log_dir: undefined });
      return mergeGrants([storage(config), ...lookup, console]);
    },
    DutlinkPower: () => ({}),
    DutlinkStorageMux: storage,
    DutlinkSerial: (config: DutlinkSerialConfig) => boardConsole(config.log_dir),
  };
}
