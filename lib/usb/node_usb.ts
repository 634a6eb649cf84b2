/**
 * The real USB backend: the npm `usb` package (libusb through Node-API), loaded on first use so a
 * program that drives no USB board never needs it, and a host without it still starts.
 */
import {
  type ControlSetup,
  type UsbBackend,
  type UsbDevice,
  type UsbInterfaceDescriptor,
  UsbTransferError,
  UsbUnavailableError,
} from "./transport.ts";

/** What this module uses of npm `usb`'s device (its WebUSB-style API, typed here). */
interface NativeDevice {
  vendorId: number;
  productId: number;
  bus: string;
  address: number;
  readonly serialNumber: string | null;
  readonly productName: string | null;
  readonly opened: boolean;
  readonly configuration?: {
    interfaces: {
      interfaceNumber: number;
      alternate: {
        interfaceClass: number;
        interfaceSubclass: number;
        interfaceProtocol: number;
        endpoints: {
          endpointNumber: number;
          direction: "in" | "out";
          type: "bulk" | "interrupt" | "isochronous";
        }[];
      };
    }[];
  };
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(number: number): Promise<void>;
  detachKernelDriver(number: number): Promise<void>;
  controlTransferIn(setup: ControlSetup, length: number, timeout: number): Promise<InResult>;
  controlTransferOut(setup: ControlSetup, data: Uint8Array, timeout: number): Promise<OutResult>;
  transferIn(endpoint: number, length: number, timeout: number): Promise<InResult>;
  transferOut(endpoint: number, data: Uint8Array, timeout: number): Promise<OutResult>;
}

interface InResult {
  data?: DataView | undefined;
  status: string;
}

interface OutResult {
  status: string;
}

interface UsbModule {
  usb: { getDevices(): Promise<unknown[]> };
}

let loading: Promise<UsbModule> | undefined;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function loadUsb(): Promise<UsbModule> {
  loading ??= import("usb").then((module) => module as unknown as UsbModule, (error) => {
    loading = undefined;
    throw new UsbUnavailableError(
      `cannot load the USB library (npm "usb"): ${messageOf(error)}`,
      { cause: error },
    );
  });
  return await loading;
}

// libusb's words for a device that is not there any more
const GONE = /no ?device|disconnected|not found|ENODEV|LIBUSB_ERROR_NO_DEVICE|errno 19/i;

function transferError(what: string, error: unknown): UsbTransferError {
  const message = messageOf(error);
  return new UsbTransferError(`${what}: ${message}`, { cause: error, gone: GONE.test(message) });
}

function bytesOf(view: DataView | undefined): Uint8Array {
  return view === undefined
    ? new Uint8Array(0)
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

class NodeUsbDevice implements UsbDevice {
  readonly #device: NativeDevice;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | null;
  readonly productName: string | null;
  readonly location: string;
  readonly sysfsName: string;

  constructor(device: NativeDevice) {
    this.#device = device;
    this.vendorId = device.vendorId;
    this.productId = device.productId;
    this.serialNumber = device.serialNumber ?? null;
    this.productName = device.productName ?? null;
    this.location = `bus ${device.bus} address ${device.address}`;
    // npm usb names the bus by the device's port path, as sysfs does
    this.sysfsName = device.bus;
  }

  get interfaces(): UsbInterfaceDescriptor[] {
    return this.#device.configuration?.interfaces.map((itf) => ({
      number: itf.interfaceNumber,
      class: itf.alternate.interfaceClass,
      subclass: itf.alternate.interfaceSubclass,
      protocol: itf.alternate.interfaceProtocol,
      endpoints: itf.alternate.endpoints.map((endpoint) => ({
        number: endpoint.endpointNumber,
        direction: endpoint.direction,
        type: endpoint.type,
      })),
    })) ?? [];
  }

  async open(): Promise<void> {
    if (this.#device.opened) return;
    await this.#device.open().catch((error) => {
      throw transferError(`cannot open the device at ${this.location}`, error);
    });
  }

  async claimInterface(number: number): Promise<void> {
    // a HID interface is bound to usbhid: libusb cannot claim it until that lets go
    await this.#device.detachKernelDriver(number).catch(() => {});
    await this.#device.claimInterface(number).catch((error) => {
      throw transferError(`cannot claim interface ${number}`, error);
    });
  }

  async controlTransferIn(setup: ControlSetup, length: number, timeoutMs: number) {
    const result = await this.#device.controlTransferIn(setup, length, timeoutMs).catch(
      (error) => {
        throw transferError(`control request ${setup.request} (in)`, error);
      },
    );
    if (result.status !== "ok") {
      throw new UsbTransferError(`control request ${setup.request} (in): ${result.status}`);
    }
    return bytesOf(result.data);
  }

  async controlTransferOut(setup: ControlSetup, data: Uint8Array, timeoutMs: number) {
    const result = await this.#device.controlTransferOut(setup, data, timeoutMs).catch(
      (error) => {
        throw transferError(`control request ${setup.request} (out)`, error);
      },
    );
    if (result.status !== "ok") {
      throw new UsbTransferError(`control request ${setup.request} (out): ${result.status}`);
    }
  }

  async transferIn(endpoint: number, length: number, timeoutMs: number) {
    const result = await this.#device.transferIn(endpoint, length, timeoutMs).catch((error) => {
      throw transferError(`read from endpoint ${endpoint}`, error);
    });
    if (result.status !== "ok") {
      throw new UsbTransferError(`read from endpoint ${endpoint}: ${result.status}`);
    }
    return bytesOf(result.data);
  }

  async transferOut(endpoint: number, data: Uint8Array, timeoutMs: number) {
    const result = await this.#device.transferOut(endpoint, data, timeoutMs).catch((error) => {
      throw transferError(`write to endpoint ${endpoint}`, error);
    });
    if (result.status !== "ok") {
      throw new UsbTransferError(`write to endpoint ${endpoint}: ${result.status}`);
    }
  }

  async close(): Promise<void> {
    if (this.#device.opened) await this.#device.close().catch(() => {});
  }
}

/** The host's USB devices through npm `usb`; the library loads on the first `find`. */
export function nodeUsbBackend(): UsbBackend {
  return {
    async find(vendorId, productId) {
      const { usb } = await loadUsb();
      let devices: NativeDevice[];
      try {
        devices = await usb.getDevices() as NativeDevice[];
      } catch (error) {
        throw new UsbUnavailableError(`cannot list USB devices: ${messageOf(error)}`, {
          cause: error,
        });
      }
      return devices
        .filter((device) => device.vendorId === vendorId && device.productId === productId)
        .map((device) => new NodeUsbDevice(device));
    },
  };
}
