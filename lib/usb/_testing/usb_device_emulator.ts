/**
 * Test support: the part every emulated USB device shares. A subclass answers the transfers the
 * way its device's firmware does; this base keeps the transcript, checks the device was opened
 * (and the interface claimed), and can be unplugged and plugged back like a cable.
 */
import {
  type ControlSetup,
  type UsbBackend,
  type UsbDevice,
  type UsbInterfaceDescriptor,
  UsbTransferError,
} from "../transport.ts";

/** One transfer as the emulated device saw it. */
export type Transfer =
  | { kind: "control_in"; setup: ControlSetup; length: number }
  | { kind: "control_out"; setup: ControlSetup; data: number[] }
  | { kind: "in"; endpoint: number; length: number }
  | { kind: "out"; endpoint: number; data: number[] };

/** Identity of an emulated device. */
export interface EmulatedIdentity {
  vendorId: number;
  productId: number;
  serialNumber: string | null;
  productName: string | null;
  interfaces: UsbInterfaceDescriptor[];
}

/** A stalled request: what a firmware's `reject()` makes the host see. */
export function stall(what: string): UsbTransferError {
  return new UsbTransferError(`${what}: stall`);
}

export abstract class UsbDeviceEmulator implements UsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | null;
  readonly productName: string | null;
  readonly interfaces: UsbInterfaceDescriptor[];
  readonly location: string;
  readonly sysfsName: string | null = null;
  /** Every transfer the host made, in order (transfers made while unplugged are not). */
  readonly transcript: Transfer[] = [];
  /** Whether the cable is in. */
  plugged = true;
  /** Times the host opened it. */
  opens = 0;
  #open = false;
  readonly #claimed = new Set<number>();
  #waiters: { predicate: () => boolean; resolve: () => void }[] = [];

  constructor(identity: EmulatedIdentity, location = "bus 1-1 address 7") {
    this.vendorId = identity.vendorId;
    this.productId = identity.productId;
    this.serialNumber = identity.serialNumber;
    this.productName = identity.productName;
    this.interfaces = identity.interfaces;
    this.location = location;
  }

  /** Pulls the cable: open handles fail from now on, as libusb reports a vanished device. */
  unplug(): void {
    this.plugged = false;
    this.#open = false;
    this.#claimed.clear();
  }

  /** Puts the cable back (the host must open the device again). */
  plug(): void {
    this.plugged = true;
  }

  /** Resolves once `predicate()` holds after some transfer (or at once if it holds now). */
  when(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  #check(what: string): void {
    if (!this.plugged) {
      throw new UsbTransferError(`${what}: LIBUSB_ERROR_NO_DEVICE`, { gone: true });
    }
    if (!this.#open) throw new UsbTransferError(`${what}: device not opened`);
  }

  #settle(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.predicate()) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Whether interface `number` was claimed since the last open. */
  claimed(number: number): boolean {
    return this.#claimed.has(number);
  }

  open(): Promise<void> {
    if (!this.plugged) {
      return Promise.reject(new UsbTransferError("open: LIBUSB_ERROR_NO_DEVICE", { gone: true }));
    }
    this.#open = true;
    this.opens++;
    return Promise.resolve();
  }

  claimInterface(number: number): Promise<void> {
    this.#check(`claim interface ${number}`);
    if (!this.interfaces.some((itf) => itf.number === number)) {
      return Promise.reject(
        new UsbTransferError(`claim interface ${number}: LIBUSB_ERROR_NOT_FOUND`),
      );
    }
    this.#claimed.add(number);
    return Promise.resolve();
  }

  async controlTransferIn(setup: ControlSetup, length: number): Promise<Uint8Array> {
    this.#check(`control request ${setup.request} (in)`);
    this.transcript.push({ kind: "control_in", setup: { ...setup }, length });
    try {
      return (await this.answerControlIn(setup)).slice(0, length);
    } finally {
      this.#settle();
    }
  }

  async controlTransferOut(setup: ControlSetup, data: Uint8Array): Promise<void> {
    this.#check(`control request ${setup.request} (out)`);
    this.transcript.push({ kind: "control_out", setup: { ...setup }, data: [...data] });
    try {
      await this.answerControlOut(setup, data);
    } finally {
      this.#settle();
    }
  }

  async transferIn(endpoint: number, length: number): Promise<Uint8Array> {
    this.#check(`read from endpoint ${endpoint}`);
    this.transcript.push({ kind: "in", endpoint, length });
    try {
      return (await this.answerIn(endpoint, length)).slice(0, length);
    } finally {
      this.#settle();
    }
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<void> {
    this.#check(`write to endpoint ${endpoint}`);
    this.transcript.push({ kind: "out", endpoint, data: [...data] });
    try {
      await this.receiveOut(endpoint, data);
    } finally {
      this.#settle();
    }
  }

  close(): Promise<void> {
    this.#open = false;
    this.#claimed.clear();
    return Promise.resolve();
  }

  /** The device's answer to a control IN request; throw {@linkcode stall} to reject it. */
  protected answerControlIn(setup: ControlSetup): Promise<Uint8Array> | Uint8Array {
    throw stall(`control request ${setup.request} (in)`);
  }

  /** The device's handling of a control OUT request; throw {@linkcode stall} to reject it. */
  protected answerControlOut(setup: ControlSetup, _data: Uint8Array): Promise<void> | void {
    throw stall(`control request ${setup.request} (out)`);
  }

  /** The device's answer on an IN endpoint. */
  protected answerIn(endpoint: number, _length: number): Promise<Uint8Array> | Uint8Array {
    throw stall(`read from endpoint ${endpoint}`);
  }

  /** The device's handling of data on an OUT endpoint. */
  protected receiveOut(endpoint: number, _data: Uint8Array): Promise<void> | void {
    throw stall(`write to endpoint ${endpoint}`);
  }
}

/** A bus holding emulated devices; unplugged ones are not listed. */
export class EmulatedUsbBus implements UsbBackend {
  readonly devices: UsbDeviceEmulator[];
  /** When set, `find` fails with it (a host without the USB library or bus). */
  unavailable: Error | undefined;

  constructor(...devices: UsbDeviceEmulator[]) {
    this.devices = devices;
  }

  find(vendorId: number, productId: number): Promise<UsbDevice[]> {
    if (this.unavailable) return Promise.reject(this.unavailable);
    return Promise.resolve(
      this.devices.filter((device) =>
        device.plugged && device.vendorId === vendorId && device.productId === productId
      ),
    );
  }
}
