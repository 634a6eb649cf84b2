/**
 * The narrow USB transport the board drivers (DUT Link, SD-Wire, YKUSH) talk through: find
 * devices by vendor and product id, read their descriptors, and run control and interrupt/bulk
 * transfers. `nodeUsbBackend()` implements it with the npm `usb` package; tests put an emulator
 * of the device behind the same interface.
 */

/** The setup packet of a control transfer, without its direction (USB 2.0, section 9.3). */
export interface ControlSetup {
  /** bmRequestType bits 5..6. */
  requestType: "standard" | "class" | "vendor";
  /** bmRequestType bits 0..4. */
  recipient: "device" | "interface" | "endpoint" | "other";
  /** bRequest. */
  request: number;
  /** wValue. */
  value: number;
  /** wIndex. */
  index: number;
}

/** One endpoint of an interface's active alternate setting. */
export interface UsbEndpointDescriptor {
  /** The endpoint number, without the direction bit. */
  number: number;
  /** `in` (device to host) or `out`. */
  direction: "in" | "out";
  /** The transfer type. */
  type: "bulk" | "interrupt" | "isochronous";
}

/** One interface of the active configuration (its active alternate setting). */
export interface UsbInterfaceDescriptor {
  /** bInterfaceNumber. */
  number: number;
  /** bInterfaceClass. */
  class: number;
  /** bInterfaceSubClass. */
  subclass: number;
  /** bInterfaceProtocol. */
  protocol: number;
  /** The endpoints of the active alternate setting. */
  endpoints: readonly UsbEndpointDescriptor[];
}

/** An attached device. Transfers reject with {@linkcode UsbTransferError}. */
export interface UsbDevice {
  /** idVendor. */
  readonly vendorId: number;
  /** idProduct. */
  readonly productId: number;
  /** iSerialNumber's string, or null when the device has none. */
  readonly serialNumber: string | null;
  /** iProduct's string, or null when the device has none. */
  readonly productName: string | null;
  /** Where it is plugged (bus and port path), for messages. */
  readonly location: string;
  /** Its directory name under `/sys/bus/usb/devices` (`1-1.2`), when known. */
  readonly sysfsName: string | null;
  /** The interfaces of the active configuration. */
  readonly interfaces: readonly UsbInterfaceDescriptor[];
  /** Opens the device for transfers. */
  open(): Promise<void>;
  /** Claims an interface (detaching a kernel driver bound to it first). */
  claimInterface(number: number): Promise<void>;
  /** A control transfer from the device: at most `length` bytes come back. */
  controlTransferIn(setup: ControlSetup, length: number, timeoutMs: number): Promise<Uint8Array>;
  /** A control transfer to the device, with `data` as its data stage (may be empty). */
  controlTransferOut(setup: ControlSetup, data: Uint8Array, timeoutMs: number): Promise<void>;
  /** An interrupt or bulk transfer from IN endpoint `endpoint`. */
  transferIn(endpoint: number, length: number, timeoutMs: number): Promise<Uint8Array>;
  /** An interrupt or bulk transfer to OUT endpoint `endpoint`. */
  transferOut(endpoint: number, data: Uint8Array, timeoutMs: number): Promise<void>;
  /** Releases the device; never throws. */
  close(): Promise<void>;
}

/** Lists attached devices. */
export interface UsbBackend {
  /** The attached devices with this vendor and product id, in bus order. */
  find(vendorId: number, productId: number): Promise<UsbDevice[]>;
}

/** The USB library cannot be loaded, or the host has no USB bus to enumerate. */
export class UsbUnavailableError extends Error {
  /** `options.cause` keeps the library's error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsbUnavailableError";
  }
}

/** A transfer failed; `gone` when the device was unplugged (it must be found again). */
export class UsbTransferError extends Error {
  /** Whether the device was unplugged. */
  readonly gone: boolean;

  /** `options.gone` marks an unplugged device; `options.cause` keeps the library's error. */
  constructor(message: string, options?: ErrorOptions & { gone?: boolean }) {
    super(message, options);
    this.name = "UsbTransferError";
    this.gone = options?.gone ?? false;
  }
}

/** `0x2b23` for messages. */
export function hexId(id: number): string {
  return `0x${id.toString(16).padStart(4, "0")}`;
}
