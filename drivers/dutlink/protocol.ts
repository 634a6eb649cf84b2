/**
 * The DUT Link board's USB control protocol (jumpstarter-dev/dutlink-firmware `control.rs`), as
 * upstream's driver uses it: vendor requests to the board's vendor interface (class 0xFF,
 * subclass 0x01, protocol 0x01), wIndex = that interface's number.
 */

export const DUTLINK_VENDOR_ID = 0x2b23;
export const DUTLINK_PRODUCT_ID = 0x1012;
/** The vendor interface's class, subclass and protocol. */
export const DUTLINK_INTERFACE = {
  class: 0xff,
  subclass: 0x01,
  protocol: 0x01,
} as const;

/** bRequest values. */
export const Request = {
  refresh: 0x00,
  power: 0x01,
  storage: 0x02,
  config: 0x03,
  read: 0x04,
  set: 0x05,
} as const;

/** wValue of a power request, by action (upstream's action names). */
export const POWER_ACTIONS = [
  "off",
  "on",
  "force-off",
  "force-on",
  "rescue",
] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** wValue of a storage request, by action. */
export const STORAGE_ACTIONS = ["off", "host", "dut"] as const;
export type StorageAction = (typeof STORAGE_ACTIONS)[number];

/** wValue of a read request, by key. */
export const READ_KEYS = ["version", "power", "voltage", "current"] as const;
export type ReadKey = (typeof READ_KEYS)[number];

/** How many bytes upstream asks for in a read request. */
export const READ_LENGTH = 512;

/** A power reading. */
export interface Reading {
  voltage: number;
  current: number;
}

/**
 * Parses the firmware's answer to "read power", `"<W>W <V>V <A>A"`, by unit suffix as upstream
 * does (the watts are dropped; a missing value reads as 0).
 */
export function parsePowerReading(text: string): Reading {
  const reading: Reading = { voltage: 0, current: 0 };
  for (const token of text.trim().split(/\s+/)) {
    const value = Number(token.slice(0, -1));
    if (token.length < 2 || !Number.isFinite(value)) continue;
    const unit = token.at(-1)!.toUpperCase();
    if (unit === "V") reading.voltage = value;
    else if (unit === "A") reading.current = value;
  }
  return reading;
}
