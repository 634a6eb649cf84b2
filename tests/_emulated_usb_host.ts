/**
 * Serves an exporter config whose USB boards (YKUSH, SD-Wire, DUT Link) are the emulators of
 * their `_testing/` folders, the exporter confined to exactly the given flags: it runs in a
 * worker given those permissions, its USB backend relayed to the emulators here (which need more:
 * they make and remove the card's device node). No USB device can be attached to these machines.
 *
 * `deno run -A --unstable-worker-options _emulated_usb_host.ts CONFIG FLAGS_JSON` (with the
 * printed environment) prints the session's address, serves until SIGTERM, then prints the
 * emulators' state as one JSON line and exits 0. The emulated boards, beside CONFIG:
 * - a YKUSH hub, serial {@linkcode YKUSH_SERIAL};
 * - an SD-Wire, serial {@linkcode SDWIRE_SERIAL}: its card is `sdwire.img`, shown to the host as
 *   `sdwire-card` (a symlink) while switched to it;
 * - a DUT Link, serial {@linkcode DUTLINK_SERIAL}: its card is `dutlink.img`, shown as
 *   `dutlink-card`.
 *
 * @module
 */
import { dirname } from "node:path";
import { EmulatedUsbBus } from "../lib/usb/_testing/usb_device_emulator.ts";
import type { UsbDevice } from "@jumpstarter/lib/usb";
import { YkushEmulator } from "../drivers/yepkit/_testing/ykush_emulator.ts";
import { SdwireEmulator } from "../drivers/sdwire/_testing/sdwire_emulator.ts";
import { DutlinkEmulator } from "../drivers/dutlink/_testing/dutlink_emulator.ts";

export const YKUSH_SERIAL = "YK00001";
export const SDWIRE_SERIAL = "sdw-00001";
export const DUTLINK_SERIAL = "e6058a3c";
/** Bytes of each emulated card. */
export const CARD_BYTES = 1024 * 1024;

/** A request of the worker's USB backend. */
export type UsbRequest =
  | { id: number; op: "find"; vendorId: number; productId: number }
  | { id: number; op: "call"; device: number; method: keyof UsbDevice; args: unknown[] };

/** A device as the worker sees it: its descriptors, and a handle for its calls. */
export interface DeviceInfo {
  handle: number;
  vendorId: number;
  productId: number;
  serialNumber: string | null;
  productName: string | null;
  location: string;
  sysfsName: string | null;
  interfaces: UsbDevice["interfaces"];
}

/** The answer to a {@linkcode UsbRequest}, or its failure. */
export type UsbReply =
  | { id: number; value: unknown }
  | { id: number; error: { message: string; gone: boolean | undefined } };

/** What the worker is started with, then what it says once serving (or failing to). */
export type WorkerStart = { config: string };
export type WorkerReady = { address: string } | { failed: string };

/** Turns `--allow-NAME[=a,b]` flags into a worker's permissions (nothing else granted). */
export function workerPermissions(flags: readonly string[]): Deno.PermissionOptionsObject {
  const permissions: Record<string, boolean | string[]> = {
    read: false,
    write: false,
    net: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
  };
  for (const flag of flags) {
    const match = /^--allow-(\w+)(?:=(.*))?$/.exec(flag);
    if (!match || !(match[1]! in permissions)) {
      throw new Error(`Cannot confine a worker to ${flag}`);
    }
    permissions[match[1]!] = match[2] === undefined ? true : match[2].split(",");
  }
  return permissions as Deno.PermissionOptionsObject;
}

/** Answers the worker's USB requests from `bus`. */
function relay(worker: Worker, bus: EmulatedUsbBus): void {
  const handles = new Map<number, UsbDevice>();
  const handleOf = new Map<UsbDevice, number>();
  const answer = async (request: UsbRequest): Promise<unknown> => {
    if (request.op === "find") {
      const found = await bus.find(request.vendorId, request.productId);
      return found.map((device): DeviceInfo => {
        let handle = handleOf.get(device);
        if (handle === undefined) {
          handle = handles.size + 1;
          handles.set(handle, device);
          handleOf.set(device, handle);
        }
        const { vendorId, productId, serialNumber, productName, location, sysfsName } = device;
        const interfaces = device.interfaces;
        return {
          handle,
          vendorId,
          productId,
          serialNumber,
          productName,
          location,
          sysfsName,
          interfaces,
        };
      });
    }
    const device = handles.get(request.device)!;
    return await (device[request.method] as (...args: unknown[]) => Promise<unknown>)
      .apply(device, request.args);
  };
  worker.addEventListener("message", async (event: MessageEvent) => {
    if (!("op" in event.data)) return;
    const request = event.data as UsbRequest;
    let reply: UsbReply;
    try {
      reply = { id: request.id, value: await answer(request) };
    } catch (error) {
      const { message, gone } = error as { message: string; gone?: boolean };
      reply = { id: request.id, error: { message, gone } };
    }
    worker.postMessage(reply);
  });
}

if (import.meta.main) {
  const [config, flags] = Deno.args as [string, string];
  const dir = dirname(config);
  const ykush = new YkushEmulator(YKUSH_SERIAL);
  const card = async (name: string) => {
    using image = await Deno.open(`${dir}/${name}.img`, { write: true, create: true });
    await image.truncate(CARD_BYTES);
    return { imagePath: `${dir}/${name}.img`, storagePath: `${dir}/${name}-card` };
  };
  const sdwire = new SdwireEmulator({ serial: SDWIRE_SERIAL, ...await card("sdwire") });
  const dutlink = new DutlinkEmulator({ serial: DUTLINK_SERIAL, ...await card("dutlink") });
  const worker = new Worker(new URL("./_emulated_usb_exporter.ts", import.meta.url), {
    type: "module",
    deno: { permissions: workerPermissions(JSON.parse(flags)) },
  });
  relay(worker, new EmulatedUsbBus(ykush, sdwire, dutlink));
  const ready = Promise.withResolvers<WorkerReady>();
  worker.addEventListener("message", (event: MessageEvent) => {
    if ("address" in event.data || "failed" in event.data) ready.resolve(event.data);
  });
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    ready.resolve({ failed: String(event.message) });
  });
  worker.postMessage({ config } satisfies WorkerStart);
  const started = await ready.promise;
  if ("failed" in started) {
    console.error(started.failed);
    Deno.exit(1);
  }
  console.log(started.address);
  const stopped = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGTERM", () => stopped.resolve());
  await stopped.promise;
  worker.terminate();
  console.log(JSON.stringify({
    ykush: ykush.ports,
    sdwire: sdwire.mux,
    dutlink: { power: dutlink.power, storage: dutlink.storage, actions: dutlink.actions },
  }));
  dutlink.dispose();
  Deno.exit(0);
}
