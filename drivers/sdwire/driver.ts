/**
 * `SDWire` (upstream `jumpstarter_driver_sdwire.driver.SDWire`): an SD card multiplexer between
 * the DUT and the exporter host. `host`/`dut` drive the FT200X's CBUS0 pin; `write`/`read` switch
 * the card to the host, wait for its block device, and stream the image (upstream's helpers).
 * The device is found on first use, and again after an unplug.
 */
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type DriverType,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { readBlockDevice, writeBlockDevice } from "@jumpstarter/lib/fs";
import type { ResourceHandle } from "@jumpstarter/lib/streams";
import {
  type UsbBackend,
  UsbConnection,
  type UsbDevice,
  UsbTransferError,
} from "@jumpstarter/lib/usb";
import { DriverError } from "@jumpstarter/lib/wire";
import {
  imageStream,
  storageMuxFlasherInterface,
  type WriteResult,
} from "@jumpstarter/driver-opendal";
import { type SdwireHost, systemSdwireHost } from "./host.ts";
import {
  CBUS_BITBANG,
  FT200X_PRODUCT_ID,
  FTDI_VENDOR_ID,
  PROGRAMMED_PRODUCT,
  PROGRAMMED_PRODUCT_ID,
  PROGRAMMED_VENDOR_ID,
  READ_PINS,
  SELECT_DUT,
  SELECT_HOST,
  SET_BITMODE,
} from "./protocol.ts";

export { type SdwireHost, systemSdwireHost } from "./host.ts";

const seconds = z.number().nonnegative(
  "must be a number of seconds, 0 or more",
);

export const sdwireConfigSchema: z.ZodType<SdwireConfig, unknown> = z.object({
  serial: z.string().min(1).nullable().default(null),
  "storage_device": z.string().min(1).nullable().default(null),
  "storage_timeout": seconds.default(10),
  "storage_leeway": seconds.default(6),
  "storage_fsync_timeout": seconds.default(900),
}).strict();

/** The `config:` keys, as upstream's. */
export interface SdwireConfig {
  /** The SD-Wire's USB serial number; the only one attached when null. */
  serial: string | null;
  /** The card's block device; found next to the SD-Wire when null. */
  "storage_device": string | null;
  "storage_timeout": number;
  "storage_leeway": number;
  "storage_fsync_timeout": number;
}

const POLL_MS = 1000;
const TRANSFER_TIMEOUT_MS = 1000;

function connectionFor(usb: UsbBackend, serial: string | null): UsbConnection {
  return new UsbConnection(usb, {
    what: "sd-wire",
    vendorId: PROGRAMMED_VENDOR_ID,
    productId: PROGRAMMED_PRODUCT_ID,
    accept: (device) => device.productName === PROGRAMMED_PRODUCT,
    // an unprogrammed FT200X looks like any other: only taken when its serial is configured
    alternatives: serial === null
      ? []
      : [{ vendorId: FTDI_VENDOR_ID, productId: FT200X_PRODUCT_ID }],
    serial,
    unique: true,
  });
}

export class SDWire extends Driver {
  readonly interface = storageMuxFlasherInterface;
  readonly config: SdwireConfig;
  readonly #host: SdwireHost;
  readonly #connection: UsbConnection;
  readonly #label: string;

  constructor(
    host: SdwireHost,
    config: SdwireConfig,
    options: DriverOptions = {},
  ) {
    super(options);
    this.#host = host;
    this.config = config;
    this.#connection = connectionFor(host.usb, config.serial);
    this.#label = config.serial === null ? "sd-wire" : `sd-wire ${config.serial}`;
  }

  async #usb<T>(
    what: string,
    action: (device: UsbDevice) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.#connection.use(action);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const gone = error instanceof UsbTransferError && error.gone ? " (device disconnected)" : "";
      throw new DriverError(
        `${this.#label}: ${what} failed${gone}: ${reason}`,
        { cause: error },
      );
    }
  }

  async #select(pins: number, what: string): Promise<void> {
    await this.#usb(what, (device) =>
      device.controlTransferOut(
        {
          requestType: "vendor",
          recipient: "device",
          request: SET_BITMODE,
          value: (CBUS_BITBANG << 8) | pins,
          index: 0,
        },
        new Uint8Array(0),
        TRANSFER_TIMEOUT_MS,
      ));
  }

  /** Where the card is now, read back from the CBUS0 pin (upstream's `query`). */
  async query(): Promise<"host" | "dut"> {
    const pins = await this.#usb(
      "read pins",
      (device) =>
        device.controlTransferIn(
          {
            requestType: "vendor",
            recipient: "device",
            request: READ_PINS,
            value: 0,
            index: 0,
          },
          1,
          TRANSFER_TIMEOUT_MS,
        ),
    );
    return (pins[0] ?? 0) & 0x01 ? "host" : "dut";
  }

  async host(): Promise<void> {
    await this.#select(SELECT_HOST, "switch to host");
  }

  async dut(): Promise<void> {
    await this.#select(SELECT_DUT, "switch to dut");
  }

  async off(): Promise<void> {
    await this.host();
  }

  /** The configured block device, or the one found next to the SD-Wire now (null if none). */
  async #storageDevice(): Promise<string | null> {
    if (this.config.storage_device !== null) return this.config.storage_device;
    const device = await this.#usb(
      "find the card reader",
      (found) => Promise.resolve(found),
    );
    return this.#host.findStorageDevice(device);
  }

  /** Waits up to `storage_timeout` for the card reader to show a block device. */
  async #awaitStorageDevice(): Promise<string> {
    const deadline = Date.now() + this.config.storage_timeout * 1000;
    for (;;) {
      const path = await this.#storageDevice();
      if (path !== null) return path;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new DriverError(
          `${this.#label}: SD card disk did not become available on host within storage_timeout (${this.config.storage_timeout} s)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
    }
  }

  async write(
    handle: ResourceHandle,
    expectedSha256?: string | null,
  ): Promise<WriteResult> {
    await using resource = this.openResource(handle);
    await this.host();
    const path = await this.#awaitStorageDevice();
    return await writeBlockDevice(path, await imageStream(handle, resource.readable), {
      timeoutS: this.config.storage_timeout,
      leewayS: this.config.storage_leeway,
      fsyncTimeoutS: this.config.storage_fsync_timeout,
      logger: this.logger,
      expectedSha256,
    });
  }

  async read(handle: ResourceHandle): Promise<void> {
    await using resource = this.openResource(handle);
    await this.host();
    const path = await this.#awaitStorageDevice();
    await readBlockDevice(path, resource.writable, {
      timeoutS: this.config.storage_timeout,
      logger: this.logger,
    });
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(storageMuxFlasherInterface, this);
  }

  override async close(): Promise<void> {
    await this.#connection.close();
  }
}

/** The SDWire driver type, talking to `host`. */
export function sdwireDriverType(host: SdwireHost): DriverType {
  return defineDriverType({
    name: "SDWire",
    aliases: ["jumpstarter_driver_sdwire.driver.SDWire"],
    config: sdwireConfigSchema,
    create: (config, options) => new SDWire(host, config, options),
  });
}

/** The driver type on the exporter's own machine (USB through npm `usb`, loaded when used). */
export const sdwireType: DriverType = sdwireDriverType(systemSdwireHost());
