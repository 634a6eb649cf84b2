/**
 * Finding a DUT Link board's console tty without udev: the kernel's sysfs links each tty to the
 * USB interface it belongs to, whose parent directory holds the device's `idVendor`,
 * `idProduct` and `serial` (udev's `ID_SERIAL_SHORT`, which upstream matches on).
 */
import { throwIfRefused } from "@jumpstarter/lib/driver";
import { DUTLINK_PRODUCT_ID, DUTLINK_VENDOR_ID } from "./protocol.ts";

/** A tty that belongs to a USB device. */
export interface UsbTty {
  /** Its device node, e.g. `/dev/ttyACM0`. */
  path: string;
  vendorId: number;
  productId: number;
  serial: string;
}

/** Where a DUT Link board's console is, and the board's serial number. */
export interface DutlinkConsole {
  serial: string;
  tty: string;
}

function readId(dir: string, name: string): string | undefined {
  try {
    return Deno.readTextFileSync(`${dir}/${name}`).trim();
  } catch (error) {
    throwIfRefused(error);
    return undefined;
  }
}

/** The ttys of USB devices that have a serial number, by tty name. */
export function usbTtys(sysRoot = "/sys", devRoot = "/dev"): UsbTty[] {
  const ttys: UsbTty[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${sysRoot}/class/tty`)];
  } catch (error) {
    throwIfRefused(error);
    return ttys;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    let usbInterface: string;
    try {
      usbInterface = Deno.realPathSync(
        `${sysRoot}/class/tty/${entry.name}/device`,
      );
    } catch (error) {
      throwIfRefused(error);
      continue; // a virtual tty (console, pty): no device behind it
    }
    const usbDevice = usbInterface.replace(/\/[^/]+$/, "");
    const [vendor, product, serial] = ["idVendor", "idProduct", "serial"].map((
      name,
    ) => readId(usbDevice, name));
    if (vendor === undefined || product === undefined || serial === undefined) {
      continue;
    }
    ttys.push({
      path: `${devRoot}/${entry.name}`,
      vendorId: parseInt(vendor, 16),
      productId: parseInt(product, 16),
      serial,
    });
  }
  return ttys;
}

/**
 * The console of the board with `serial` (or of the first DUT Link board when null), as upstream
 * requires: exactly one tty with that serial number.
 *
 * @throws {Error} "failed to find dutlink device", "no console found ..." or "multiple console
 *   found ..." (upstream's messages).
 */
export function findDutlinkConsole(
  ttys: readonly UsbTty[],
  serial: string | null,
): DutlinkConsole {
  let wanted = serial;
  if (wanted === null) {
    const board = ttys.find((tty) =>
      tty.vendorId === DUTLINK_VENDOR_ID && tty.productId === DUTLINK_PRODUCT_ID
    );
    if (board === undefined) throw new Error("failed to find dutlink device");
    wanted = board.serial;
  }
  const matching = ttys.filter((tty) => tty.serial === wanted);
  if (matching.length === 0) {
    throw new Error(
      `no console found for the dutlink board with serial ${wanted}`,
    );
  }
  if (matching.length > 1) {
    throw new Error(
      `multiple console found for the dutlink board with serial ${wanted}`,
    );
  }
  return { serial: wanted, tty: matching[0]!.path };
}
