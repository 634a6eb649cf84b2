/**
 * Test support: an emulated SD-Wire in a temporary directory, with a sparse image file standing
 * in for the SD card, and the `SdwireHost` the driver is built against.
 */
import { EmulatedUsbBus } from "../../../lib/usb/_testing/usb_device_emulator.ts";
import type { SdwireHost } from "../host.ts";
import { SdwireEmulator, type SdwireEmulatorOptions } from "./sdwire_emulator.ts";

export const SERIAL = "sdw-00001";
export const CARD_BYTES = 4 * 1024 * 1024;

export interface SdwireLab extends AsyncDisposable {
  dir: string;
  device: SdwireEmulator;
  bus: EmulatedUsbBus;
  host: SdwireHost;
}

export async function sdwireLab(
  options: Partial<SdwireEmulatorOptions> = {},
): Promise<SdwireLab> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-sdwire-" });
  const imagePath = `${dir}/card.img`;
  using image = await Deno.open(imagePath, { write: true, create: true });
  await image.truncate(CARD_BYTES);
  const device = new SdwireEmulator({
    serial: SERIAL,
    imagePath,
    storagePath: `${dir}/sdx`,
    ...options,
  });
  const bus = new EmulatedUsbBus(device);
  const host: SdwireHost = {
    usb: bus,
    findStorageDevice: (found) => found === device ? device.storageDevice() : null,
  };
  return {
    dir,
    device,
    bus,
    host,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
