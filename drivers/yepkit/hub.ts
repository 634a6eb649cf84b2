/**
 * YKUSH hubs shared by the drivers of one exporter: one USB handle per hub, as upstream's
 * process-wide map (an interface can be claimed once), found on first use and again after an
 * unplug. A driver without a serial number takes the first hub already in use, else the first
 * one found.
 */
import {
  type UsbBackend,
  UsbConnection,
  type UsbDevice,
  UsbTransferError,
} from "@jumpstarter/lib/usb";
import { DriverError } from "@jumpstarter/lib/wire";
import {
  commandReport,
  REPLY_TIMEOUT_MS,
  REPORT_BYTES,
  STATUS_OK,
  YKUSH_PRODUCT_ID,
  YKUSH_VENDOR_ID,
} from "./protocol.ts";

const HID_INTERFACE = 0;

function endpoints(device: UsbDevice): { out: number; in: number } {
  const itf = device.interfaces.find((candidate) => candidate.number === HID_INTERFACE);
  const out = itf?.endpoints.find((endpoint) => endpoint.direction === "out");
  const input = itf?.endpoints.find((endpoint) => endpoint.direction === "in");
  if (out === undefined || input === undefined) {
    throw new Error("Could not find both IN and OUT endpoints for ykush.");
  }
  return { out: out.number, in: input.number };
}

/** One hub's handle. */
class Hub {
  readonly connection: UsbConnection;
  constructor(usb: UsbBackend, serial: string | null) {
    this.connection = new UsbConnection(usb, {
      what: "ykush",
      vendorId: YKUSH_VENDOR_ID,
      productId: YKUSH_PRODUCT_ID,
      serial,
    }, async (device) => {
      await device.open();
      await device.claimInterface(HID_INTERFACE);
    });
  }
}

/** The hubs of one USB bus. */
export class YkushHubs {
  readonly #usb: UsbBackend;
  readonly #bySerial = new Map<string, Hub>();
  #first: Hub | undefined;

  constructor(usb: UsbBackend) {
    this.#usb = usb;
  }

  /** The hub for `serial` (null: the first in use, or the first found) and its serial. */
  async #hub(serial: string | null): Promise<{ hub: Hub; serial: string }> {
    if (serial !== null) {
      let hub = this.#bySerial.get(serial);
      if (hub === undefined) {
        hub = new Hub(this.#usb, serial);
        this.#bySerial.set(serial, hub);
      }
      return { hub, serial };
    }
    const inUse = [...this.#bySerial][0];
    if (inUse !== undefined) return { hub: inUse[1], serial: inUse[0] };
    this.#first ??= new Hub(this.#usb, null);
    const found = await this.#first.connection.device();
    this.#bySerial.set(found.serial, this.#first);
    return { hub: this.#first, serial: found.serial };
  }

  /**
   * Sends `command` to the hub and reads its answer.
   *
   * @returns the hub's serial number (learned when none was configured).
   * @throws {DriverError} in one line naming the hub and what failed.
   */
  async send(serial: string | null, command: number, what: string): Promise<string> {
    let label = serial === null ? "ykush" : `ykush ${serial}`;
    try {
      const { hub, serial: resolved } = await this.#hub(serial);
      label = `ykush ${resolved}`;
      const reply = await hub.connection.use(async (device) => {
        const { out, in: input } = endpoints(device);
        await device.transferOut(out, commandReport(command), REPLY_TIMEOUT_MS);
        return await device.transferIn(input, REPORT_BYTES, REPLY_TIMEOUT_MS);
      });
      if (reply[0] !== STATUS_OK) {
        const status = reply[0] === undefined ? "nothing" : `status 0x${reply[0].toString(16)}`;
        throw new Error(`the hub answered ${status}`);
      }
      return resolved;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const gone = error instanceof UsbTransferError && error.gone ? " (device disconnected)" : "";
      throw new DriverError(`${label}: ${what} failed${gone}: ${reason}`, { cause: error });
    }
  }

  /** Releases every hub. */
  async close(): Promise<void> {
    for (const hub of new Set([...this.#bySerial.values(), ...this.#first ? [this.#first] : []])) {
      await hub.connection.close();
    }
  }
}
