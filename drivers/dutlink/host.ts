/**
 * What a DUT Link driver needs from the exporter's machine: the USB bus, and the board's console
 * tty. `systemDutlinkHost()` is the real machine (npm `usb`, sysfs); tests pass an emulator.
 */
import { nodeUsbBackend, type UsbBackend } from "@jumpstarter/lib/usb";
import { type DutlinkConsole, findDutlinkConsole, usbTtys } from "./console_lookup.ts";

export interface DutlinkHost {
  readonly usb: UsbBackend;
  /** The console of the board with `serial` (the first board when null). */
  findConsole(serial: string | null): DutlinkConsole;
}

/** The exporter's own USB bus and ttys. */
export function systemDutlinkHost(): DutlinkHost {
  const usb = nodeUsbBackend();
  return {
    usb,
    findConsole: (serial) => findDutlinkConsole(usbTtys(), serial),
  };
}
