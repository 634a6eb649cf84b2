/**
 * One USB board a driver holds on to: found by vendor/product id (and serial number) when first
 * needed, kept open while it answers, and looked up again after it was unplugged, so a board that
 * comes back is used again without restarting the exporter.
 */
import { hexId, type UsbBackend, type UsbDevice, UsbTransferError } from "./transport.ts";

/** Which device a {@linkcode UsbConnection} is for. */
export interface UsbDeviceMatch {
  /** What the device is, for messages: `dutlink`, `ykush`. */
  what: string;
  /** idVendor. */
  vendorId: number;
  /** idProduct. */
  productId: number;
  /** The serial number to match, or null for the first one found. */
  serial: string | null;
  /** Also required of a candidate (e.g. its product string). */
  accept?: (device: UsbDevice) => boolean;
  /**
   * Other ids the device may have (e.g. before its EEPROM was programmed), searched after the
   * main one; with their own extra condition.
   */
  alternatives?: readonly AlternativeIds[];
  /** Refuse to pick when no serial is set and several devices match (default: take the first). */
  unique?: boolean;
}

/** Other vendor and product ids a matched device may have. */
export interface AlternativeIds {
  /** idVendor. */
  vendorId: number;
  /** idProduct. */
  productId: number;
  /** Also required of a candidate with these ids. */
  accept?: (device: UsbDevice) => boolean;
}

/** The device a connection found. */
export interface FoundDevice {
  /** The device, opened and prepared. */
  device: UsbDevice;
  /** Its serial number ("" when it has none). */
  serial: string;
}

/** A lazily found, re-found-after-unplug USB device. */
export class UsbConnection {
  readonly #backend: UsbBackend;
  readonly #match: UsbDeviceMatch;
  readonly #prepare: (device: UsbDevice) => Promise<void>;
  #found: Promise<FoundDevice> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** `prepare` runs once per found device (open, claim interfaces), before its first use. */
  constructor(
    backend: UsbBackend,
    match: UsbDeviceMatch,
    prepare: (device: UsbDevice) => Promise<void> = (device) => device.open(),
  ) {
    this.#backend = backend;
    this.#match = match;
    this.#prepare = prepare;
  }

  /** The device, found (and prepared) now if it was not yet. */
  device(): Promise<FoundDevice> {
    this.#found ??= this.#find().catch((error) => {
      this.#found = undefined;
      throw error;
    });
    return this.#found;
  }

  async #find(): Promise<FoundDevice> {
    const { what, vendorId, productId, serial, unique } = this.#match;
    const candidates: UsbDevice[] = [];
    for (const ids of [this.#match, ...this.#match.alternatives ?? []]) {
      candidates.push(
        ...(await this.#backend.find(ids.vendorId, ids.productId))
          .filter((device) => serial === null || device.serialNumber === serial)
          .filter((device) => ids.accept?.(device) ?? true),
      );
    }
    const ids = `${hexId(vendorId)}:${hexId(productId)}`;
    if (candidates.length === 0) {
      const which = serial === null ? "" : ` with serial ${serial}`;
      throw new Error(`failed to find ${what} device${which} (USB ${ids})`);
    }
    if (unique && serial === null && candidates.length > 1) {
      const serials = candidates.map((device) => device.serialNumber ?? "?").join(", ");
      throw new Error(`found ${candidates.length} ${what} devices (${serials}): set serial`);
    }
    const device = candidates[0]!;
    try {
      await this.#prepare(device);
    } catch (error) {
      await device.close();
      throw error;
    }
    return { device, serial: device.serialNumber ?? "" };
  }

  /**
   * Runs `action` on the device, one action at a time (a board answers one request at a time).
   * When the device turns out to be gone, it is released and found again by the next call.
   */
  use<T>(action: (device: UsbDevice) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      const found = await this.device();
      try {
        return await action(found.device);
      } catch (error) {
        if (error instanceof UsbTransferError && error.gone) await this.#forget(found);
        throw error;
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #forget(found: FoundDevice): Promise<void> {
    if (await this.#found?.catch(() => undefined) === found) this.#found = undefined;
    await found.device.close();
  }

  /** Releases the device (it is found again if used later). */
  async close(): Promise<void> {
    const found = await this.#found?.catch(() => undefined);
    this.#found = undefined;
    await found?.device.close();
  }
}
