/**
 * Test support: an emulated DUT Link bench in a temporary directory: the board on an emulated
 * USB bus, its firmware shell on a pty, and a sparse image file standing in for the SD card, with
 * the `DutlinkHost` the drivers are built against.
 */
import { EmulatedUsbBus } from "../../../lib/usb/_testing/usb_device_emulator.ts";
import { attachLoopDevice } from "../../../lib/fs/_testing/loop_device.ts";

export { loopDevicesAvailable } from "../../../lib/fs/_testing/loop_device.ts";
import type { DutlinkHost } from "../host.ts";
import { findDutlinkConsole } from "../console_lookup.ts";
import { DutlinkEmulator } from "./dutlink_emulator.ts";
import { DutlinkConsoleEmulator } from "./dutlink_console_emulator.ts";

export const SERIAL = "e6058a3c";
export const CARD_BYTES = 4 * 1024 * 1024;

export interface DutlinkLab extends AsyncDisposable {
  dir: string;
  /** The card's backing file (behind the loop device, when there is one). */
  cardFile: string;
  board: DutlinkEmulator;
  console: DutlinkConsoleEmulator;
  bus: EmulatedUsbBus;
  host: DutlinkHost;
}

/**
 * Starts the bench; dispose it to stop socat and remove the directory. With `loop`, the card is a
 * real loop block device over the image file (root only: see `loopDevicesAvailable`).
 */
export async function dutlinkLab(options: { loop?: boolean } = {}): Promise<DutlinkLab> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-dutlink-" });
  const cardFile = `${dir}/card.img`;
  using image = await Deno.open(cardFile, { write: true, create: true });
  await image.truncate(CARD_BYTES);
  const loop = options.loop ? await attachLoopDevice(cardFile) : undefined;
  const board = new DutlinkEmulator({
    serial: SERIAL,
    imagePath: loop?.path ?? cardFile,
    storagePath: `${dir}/sdx`,
  });
  const console = await DutlinkConsoleEmulator.start(dir, board);
  const bus = new EmulatedUsbBus(board);
  const host: DutlinkHost = {
    usb: bus,
    findConsole: (serial) =>
      findDutlinkConsole(
        board.plugged
          ? [{
            path: console.tty,
            vendorId: board.vendorId,
            productId: board.productId,
            serial: SERIAL,
          }]
          : [],
        serial,
      ),
  };
  return {
    dir,
    cardFile,
    board,
    console,
    bus,
    host,
    async [Symbol.asyncDispose]() {
      board.dispose();
      await loop?.[Symbol.asyncDispose]();
      await console[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
