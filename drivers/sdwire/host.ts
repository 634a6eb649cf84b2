/**
 * What the SD-Wire driver needs from the exporter's machine: the USB bus, and the block device its
 * card reader shows (found next to the FT200X, behind the same internal hub, as upstream does
 * with udev). `systemSdwireHost()` is the real machine; tests pass an emulator.
 */
import { throwIfRefused } from "@jumpstarter/lib/driver";
import { nodeUsbBackend, type UsbBackend, type UsbDevice } from "@jumpstarter/lib/usb";

export interface SdwireHost {
  readonly usb: UsbBackend;
  /** The card reader's block device for the SD-Wire `device`, or null when there is none now. */
  findStorageDevice(device: UsbDevice): string | null;
}

function blockDevicesUnder(dir: string, found: string[], depth = 0): void {
  if (depth > 8) return;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    throwIfRefused(error);
    return;
  }
  for (const entry of entries) {
    if (entry.isSymlink) continue;
    if (entry.name === "block" && entry.isDirectory) {
      for (const disk of Deno.readDirSync(`${dir}/block`)) {
        found.push(disk.name);
      }
    } else if (entry.isDirectory) {
      blockDevicesUnder(`${dir}/${entry.name}`, found, depth + 1);
    }
  }
}

/** `/dev/disk/by-diskseq/N` of `/dev/<disk>` (stable across re-enumeration), else `/dev/<disk>`. */
function stableLink(disk: string, devRoot: string): string {
  try {
    for (const link of Deno.readDirSync(`${devRoot}/disk/by-diskseq`)) {
      const path = `${devRoot}/disk/by-diskseq/${link.name}`;
      if (Deno.realPathSync(path) === `${devRoot}/${disk}`) return path;
    }
  } catch (error) {
    throwIfRefused(error); // else no udev links: the node itself
  }
  return `${devRoot}/${disk}`;
}

/**
 * The block device of the card reader that shares the SD-Wire's hub: the disks found under the
 * FT200X's parent (the hub) in sysfs.
 */
export function sysfsStorageDevice(
  sysfsName: string | null,
  sysRoot = "/sys",
  devRoot = "/dev",
): string | null {
  if (sysfsName === null) return null;
  let device: string;
  try {
    device = Deno.realPathSync(`${sysRoot}/bus/usb/devices/${sysfsName}`);
  } catch (error) {
    throwIfRefused(error);
    return null;
  }
  const disks: string[] = [];
  blockDevicesUnder(device.replace(/\/[^/]+$/, ""), disks);
  return disks.length === 0 ? null : stableLink(disks[0]!, devRoot);
}

/** The exporter's own USB bus and sysfs. */
export function systemSdwireHost(): SdwireHost {
  return {
    usb: nodeUsbBackend(),
    findStorageDevice: (device) => sysfsStorageDevice(device.sysfsName),
  };
}
