/**
 * The worker of `_emulated_usb_host.ts`: a local exporter of the shipped driver packages, but
 * with the USB boards' packages on a backend that relays every USB call to the emulators in the
 * main thread. Everything else the drivers do (the card's block device, a console) is theirs,
 * under the worker's permissions.
 *
 * @module
 */
import { type DriverPackage, driverRegistryOf } from "@jumpstarter/lib/driver";
import { startLocalExporter } from "@jumpstarter/lib/exporter";
import {
  type UsbBackend,
  type UsbDevice,
  type UsbInterfaceDescriptor,
  UsbTransferError,
} from "@jumpstarter/lib/usb";
import { dutlinkPackageFor } from "@jumpstarter/driver-dutlink/package";
import { sdwirePackageFor } from "@jumpstarter/driver-sdwire/package";
import { yepkitPackageFor } from "@jumpstarter/driver-yepkit/package";
import { DRIVER_PACKAGES } from "../cli/driver_packages.ts";
import type {
  DeviceInfo,
  UsbReply,
  UsbRequest,
  WorkerReady,
  WorkerStart,
} from "./_emulated_usb_host.ts";

declare const self: Worker;

const pending = new Map<number, PromiseWithResolvers<unknown>>();
let next = 0;

/** A request before it is numbered. */
type Unsent<T> = T extends unknown ? Omit<T, "id"> : never;

/** Sends `request` to the main thread; settles with its reply. */
function ask(request: Unsent<UsbRequest>): Promise<unknown> {
  const id = ++next;
  const reply = Promise.withResolvers<unknown>();
  pending.set(id, reply);
  self.postMessage({ ...request, id });
  return reply.promise;
}

self.addEventListener("message", (event: MessageEvent) => {
  const reply = event.data as UsbReply;
  if (!("id" in reply)) return;
  const waiting = pending.get(reply.id);
  pending.delete(reply.id);
  if ("error" in reply) {
    waiting?.reject(new UsbTransferError(reply.error.message, { gone: reply.error.gone ?? false }));
  } else waiting?.resolve(reply.value);
});

/** An emulated device, each call relayed. */
class RelayedDevice implements UsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | null;
  readonly productName: string | null;
  readonly location: string;
  readonly sysfsName: string | null;
  readonly interfaces: readonly UsbInterfaceDescriptor[];
  readonly #handle: number;

  constructor(info: DeviceInfo) {
    this.#handle = info.handle;
    this.vendorId = info.vendorId;
    this.productId = info.productId;
    this.serialNumber = info.serialNumber;
    this.productName = info.productName;
    this.location = info.location;
    this.sysfsName = info.sysfsName;
    this.interfaces = info.interfaces;
  }

  #call<T>(method: keyof UsbDevice, ...args: unknown[]): Promise<T> {
    return ask({ op: "call", device: this.#handle, method, args }) as Promise<T>;
  }

  open = (): Promise<void> => this.#call("open");
  claimInterface = (number: number): Promise<void> => this.#call("claimInterface", number);
  controlTransferIn: UsbDevice["controlTransferIn"] = (...args) =>
    this.#call("controlTransferIn", ...args);
  controlTransferOut: UsbDevice["controlTransferOut"] = (...args) =>
    this.#call("controlTransferOut", ...args);
  transferIn: UsbDevice["transferIn"] = (...args) => this.#call("transferIn", ...args);
  transferOut: UsbDevice["transferOut"] = (...args) => this.#call("transferOut", ...args);
  close = (): Promise<void> => this.#call<void>("close").catch(() => {});
}

const usb: UsbBackend = {
  async find(vendorId, productId) {
    const found = await ask({ op: "find", vendorId, productId }) as DeviceInfo[];
    return found.map((info) => new RelayedDevice(info));
  },
};

const emulated: readonly DriverPackage[] = [
  yepkitPackageFor(usb),
  sdwirePackageFor({ usb, findStorageDevice: () => null }),
  dutlinkPackageFor({
    usb,
    findConsole: () => {
      throw new Error("no emulated DUT Link console: configure alternate_console and serial");
    },
  }),
];
const packages = [
  ...DRIVER_PACKAGES.filter((pkg) => !emulated.some((own) => own.name === pkg.name)),
  ...emulated,
];

self.addEventListener("message", async (event: MessageEvent) => {
  const start = event.data as WorkerStart;
  if (!("config" in start)) return;
  let ready: WorkerReady;
  try {
    const exporter = await startLocalExporter(start.config, {
      registry: driverRegistryOf(packages),
    });
    ready = { address: exporter.address };
  } catch (error) {
    ready = { failed: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(ready);
});
