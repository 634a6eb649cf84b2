/**
 * Test support: a DUT Link board emulated at its USB boundary (no board exists on these machines),
 * answering the vendor requests as the firmware's `control.rs` does: requests must be vendor
 * requests to the jumpstarter interface (wIndex 2 here) or they stall; unknown actions and keys
 * stall; power and storage actions take effect; the meter values are latched by a refresh
 * request and read back as `"%.2fW %.2fV %.2fA"`.
 *
 * The storage medium: while the switch is on the host, the block device node (`storagePath`, a
 * symlink standing in for `/dev/sdX`) points at an image file; on the DUT or off, the node is
 * gone, as udev removes it. `appearAfterMs` delays its appearance, as a real card reader does.
 */
import type { ControlSetup } from "@jumpstarter/lib/usb";
import { stall, UsbDeviceEmulator } from "../../../lib/usb/_testing/usb_device_emulator.ts";
import {
  DUTLINK_PRODUCT_ID,
  DUTLINK_VENDOR_ID,
  POWER_ACTIONS,
  READ_KEYS,
  Request,
  STORAGE_ACTIONS,
} from "../protocol.ts";

/** The jumpstarter vendor interface's number on the emulated board (after the CDC pair). */
export const VENDOR_INTERFACE = 2;

export type EmulatedPower = "off" | "on" | "rescue";
export type EmulatedStorage = "off" | "host" | "dut";

/** What the meter measures in each power state (watts are V x A, as the board's meter). */
const METER: Record<EmulatedPower, { voltage: number; current: number }> = {
  off: { voltage: 0, current: 0 },
  on: { voltage: 5.02, current: 0.41 },
  rescue: { voltage: 5.01, current: 0.12 },
};

export interface DutlinkEmulatorOptions {
  serial: string;
  /** The image file behind the block device. */
  imagePath: string;
  /** The block device node the host sees while the medium is switched to it. */
  storagePath: string;
  /** Milliseconds between switching to the host and the node appearing (default 0). */
  appearAfterMs?: number;
}

export class DutlinkEmulator extends UsbDeviceEmulator {
  power: EmulatedPower = "off";
  storage: EmulatedStorage = "off";
  /** Every power and storage action the firmware applied, as `power on`, `storage host`. */
  readonly actions: string[] = [];
  readonly imagePath: string;
  readonly storagePath: string;
  appearAfterMs: number;
  #latched = { power: 0, voltage: 0, current: 0 };
  #appear: ReturnType<typeof setTimeout> | undefined;

  constructor(options: DutlinkEmulatorOptions) {
    super({
      vendorId: DUTLINK_VENDOR_ID,
      productId: DUTLINK_PRODUCT_ID,
      serialNumber: options.serial,
      productName: "dutlink",
      interfaces: [
        {
          number: 0,
          class: 0x02,
          subclass: 0x02,
          protocol: 0x00,
          endpoints: [],
        },
        {
          number: 1,
          class: 0x0a,
          subclass: 0x00,
          protocol: 0x00,
          endpoints: [],
        },
        {
          number: VENDOR_INTERFACE,
          class: 0xff,
          subclass: 0x01,
          protocol: 0x01,
          endpoints: [],
        },
      ],
    });
    this.imagePath = options.imagePath;
    this.storagePath = options.storagePath;
    this.appearAfterMs = options.appearAfterMs ?? 0;
  }

  #checkTarget(setup: ControlSetup, direction: string): void {
    if (
      setup.requestType !== "vendor" || setup.recipient !== "interface" ||
      setup.index !== VENDOR_INTERFACE
    ) {
      throw stall(`control request ${setup.request} (${direction})`);
    }
    if (!this.claimed(VENDOR_INTERFACE)) {
      throw stall(
        `control request ${setup.request} (${direction}): interface not claimed`,
      );
    }
  }

  protected override answerControlOut(
    setup: ControlSetup,
    _data: Uint8Array,
  ): void {
    this.#checkTarget(setup, "out");
    switch (setup.request) {
      case Request.refresh: {
        const { voltage, current } = METER[this.power];
        this.#latched = { power: voltage * current, voltage, current };
        return;
      }
      case Request.power: {
        const action = POWER_ACTIONS[setup.value];
        if (action === undefined) throw stall(`power action ${setup.value}`);
        this.power = action === "rescue" ? "rescue" : action.endsWith("on") ? "on" : "off";
        this.actions.push(`power ${action}`);
        return;
      }
      case Request.storage: {
        const action = STORAGE_ACTIONS[setup.value];
        if (action === undefined) throw stall(`storage action ${setup.value}`);
        this.#switchStorage(action);
        this.actions.push(`storage ${action}`);
        return;
      }
      default:
        throw stall(`control request ${setup.request} (out)`);
    }
  }

  protected override answerControlIn(setup: ControlSetup): Uint8Array {
    this.#checkTarget(setup, "in");
    if (setup.request !== Request.read) {
      throw stall(`control request ${setup.request} (in)`);
    }
    const { power, voltage, current } = this.#latched;
    const answers: Record<string, string> = {
      version: "0.0.1-emulated",
      power: `${power.toFixed(2)}W ${voltage.toFixed(2)}V ${current.toFixed(2)}A`,
      voltage: `${voltage.toFixed(2)}V`,
      current: `${current.toFixed(2)}A`,
    };
    const key = READ_KEYS[setup.value];
    if (key === undefined) throw stall(`read key ${setup.value}`);
    return new TextEncoder().encode(answers[key]);
  }

  #switchStorage(target: EmulatedStorage): void {
    if (target === this.storage) return; // already there: the card stays where it is
    this.storage = target;
    clearTimeout(this.#appear);
    this.#appear = undefined;
    if (target !== "host") {
      try {
        Deno.removeSync(this.storagePath);
      } catch { /* not there */ }
      return;
    }
    const appear = () => {
      this.#appear = undefined;
      if (this.storage !== "host") return;
      try {
        Deno.symlinkSync(this.imagePath, this.storagePath);
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
    };
    if (this.appearAfterMs > 0) {
      this.#appear = setTimeout(appear, this.appearAfterMs);
    } else appear();
  }

  /** Pulling the cable also takes the medium away from the host. */
  override unplug(): void {
    super.unplug();
    clearTimeout(this.#appear);
    this.#appear = undefined;
    try {
      Deno.removeSync(this.storagePath);
    } catch { /* not there */ }
  }

  /** Stops pending timers. */
  dispose(): void {
    clearTimeout(this.#appear);
  }
}
