/**
 * The YKUSH hub's HID protocol as upstream's driver speaks it: a 64-byte report whose first byte
 * is the command, written to the first OUT endpoint of interface 0, answered by a 64-byte report
 * on its IN endpoint whose first byte is the status (1 = done, as Yepkit's own tool checks).
 */

export const YKUSH_VENDOR_ID = 0x04d8;
export const YKUSH_PRODUCT_ID = 0xf2f7;

/** Report size, both ways. */
export const REPORT_BYTES = 64;
/** How long upstream waits for the answer. */
export const REPLY_TIMEOUT_MS = 2000;
/** The answer's status byte when the hub carried the command out. */
export const STATUS_OK = 0x01;

export const PORTS = ["1", "2", "3", "all"] as const;
export type Port = (typeof PORTS)[number];

/** Power a port (or all) up. */
export const PORT_UP: Record<Port, number> = { "1": 0x11, "2": 0x12, "3": 0x13, all: 0x1a };
/** Power a port (or all) down. */
export const PORT_DOWN: Record<Port, number> = { "1": 0x01, "2": 0x02, "3": 0x03, all: 0x0a };
/** Ask a port's state: the answer's second byte is above 0x10 when the port is up. */
export const PORT_STATUS: Record<Exclude<Port, "all">, number> = {
  "1": 0x21,
  "2": 0x22,
  "3": 0x23,
};

/** A command report: the command byte, then zeros. */
export function commandReport(command: number): Uint8Array {
  const report = new Uint8Array(REPORT_BYTES);
  report[0] = command;
  return report;
}
