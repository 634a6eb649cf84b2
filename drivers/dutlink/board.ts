/**
 * One DUT Link board on the USB bus: finds it (by serial number, or the first one), claims its
 * vendor interface and sends the firmware's vendor requests. Failures become one-line
 * `DriverError`s naming the board; after an unplug the board is found again on the next request.
 */
import {
  type ControlSetup,
  type UsbBackend,
  UsbConnection,
  type UsbDevice,
  UsbTransferError,
} from "@jumpstarter/lib/usb";
import { DriverError } from "@jumpstarter/lib/wire";
import {
  DUTLINK_INTERFACE,
  DUTLINK_PRODUCT_ID,
  DUTLINK_VENDOR_ID,
  READ_KEYS,
  READ_LENGTH,
  type ReadKey,
  Request,
} from "./protocol.ts";

function vendorInterface(device: UsbDevice): number {
  const itf = device.interfaces.find((candidate) =>
    candidate.class === DUTLINK_INTERFACE.class &&
    candidate.subclass === DUTLINK_INTERFACE.subclass &&
    candidate.protocol === DUTLINK_INTERFACE.protocol
  );
  if (itf === undefined) {
    throw new Error(
      `the dutlink device at ${device.location} has no jumpstarter interface`,
    );
  }
  return itf.number;
}

/** The board's vendor requests. */
export class DutlinkBoard {
  readonly #connection: UsbConnection;
  readonly #timeoutMs: number;
  readonly #label: string;

  /** `timeoutS` bounds each request (power sequences can keep the board busy for long). */
  constructor(usb: UsbBackend, serial: string | null, timeoutS: number) {
    this.#connection = new UsbConnection(usb, {
      what: "dutlink",
      vendorId: DUTLINK_VENDOR_ID,
      productId: DUTLINK_PRODUCT_ID,
      serial,
    }, async (device) => {
      await device.open();
      await device.claimInterface(vendorInterface(device));
    });
    this.#timeoutMs = timeoutS * 1000;
    this.#label = serial === null ? "dutlink" : `dutlink ${serial}`;
  }

  async #run<T>(
    what: string,
    action: (device: UsbDevice, index: number) => Promise<T>,
  ) {
    try {
      return await this.#connection.use((device) => action(device, vendorInterface(device)));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const gone = error instanceof UsbTransferError && error.gone ? " (device disconnected)" : "";
      throw new DriverError(
        `${this.#label}: ${what} failed${gone}: ${reason}`,
        { cause: error },
      );
    }
  }

  #setup(request: number, value: number, index: number): ControlSetup {
    return {
      requestType: "vendor",
      recipient: "interface",
      request,
      value,
      index,
    };
  }

  /** Sends an OUT request with no data stage. */
  control(request: number, value: number, what: string): Promise<void> {
    return this.#run(what, async (device, index) => {
      await device.controlTransferOut(
        this.#setup(request, value, index),
        new Uint8Array(0),
        this.#timeoutMs,
      );
    });
  }

  /** Refreshes the measurements, then reads `key` as text (upstream's IN sequence). */
  read(key: ReadKey): Promise<string> {
    return this.#run(`read ${key}`, async (device, index) => {
      await device.controlTransferOut(
        this.#setup(Request.refresh, 0, index),
        new Uint8Array(0),
        this.#timeoutMs,
      );
      const answer = await device.controlTransferIn(
        this.#setup(Request.read, READ_KEYS.indexOf(key), index),
        READ_LENGTH,
        this.#timeoutMs,
      );
      return new TextDecoder().decode(answer);
    });
  }

  /** Releases the board. */
  close(): Promise<void> {
    return this.#connection.close();
  }
}
