/**
 * Test support: an SD-Wire emulated at its USB boundary (no device exists on these machines): an
 * FTDI FT200X, with the ids `sd-mux-ctrl --init` programs (or the factory ones), that takes
 * FTDI's SET_BITMODE and READ_PINS vendor requests to the device as the chip does. In CBUS
 * bit-bang mode (0x20) the low byte sets CBUS0..3 direction (high nibble) and level (low nibble);
 * CBUS0, when the EEPROM made it a GPIO, drives the mux: high connects the card to the host's
 * reader, low to the DUT. READ_PINS answers one byte, the CBUS levels. Any other request stalls.
 *
 * The card: while it is on the host, the reader's block device node (`storagePath`, a symlink
 * standing in for `/dev/sdX`) points at an image file; on the DUT the node is gone.
 */
import type { ControlSetup } from "@jumpstarter/lib/usb";
import { stall, UsbDeviceEmulator } from "../../../lib/usb/_testing/usb_device_emulator.ts";
import {
  CBUS_BITBANG,
  FT200X_PRODUCT_ID,
  FTDI_VENDOR_ID,
  PROGRAMMED_PRODUCT,
  PROGRAMMED_PRODUCT_ID,
  PROGRAMMED_VENDOR_ID,
  READ_PINS,
  SET_BITMODE,
} from "../protocol.ts";

export interface SdwireEmulatorOptions {
  serial: string;
  imagePath: string;
  storagePath: string;
  /** Factory-default ids and product string (default false: programmed by sd-mux-ctrl). */
  unprogrammed?: boolean;
  /** Whether CBUS0 is a GPIO in the EEPROM (default true; a factory FT200X has TXLED there). */
  cbus0Gpio?: boolean;
}

export class SdwireEmulator extends UsbDeviceEmulator {
  readonly imagePath: string;
  readonly storagePath: string;
  readonly cbus0Gpio: boolean;
  /** CBUS pin levels as the chip drives them (bit n = CBUSn). */
  pins = 0x00;
  /** Where the mux connects the card (the mux defaults to the DUT when CBUS0 floats low). */
  mux: "host" | "dut" = "dut";

  constructor(options: SdwireEmulatorOptions) {
    const unprogrammed = options.unprogrammed ?? false;
    super({
      vendorId: unprogrammed ? FTDI_VENDOR_ID : PROGRAMMED_VENDOR_ID,
      productId: unprogrammed ? FT200X_PRODUCT_ID : PROGRAMMED_PRODUCT_ID,
      serialNumber: options.serial,
      productName: unprogrammed ? "FT200X USB I2C" : PROGRAMMED_PRODUCT,
      interfaces: [{ number: 0, class: 0xff, subclass: 0xff, protocol: 0xff, endpoints: [] }],
    });
    this.imagePath = options.imagePath;
    this.storagePath = options.storagePath;
    this.cbus0Gpio = options.cbus0Gpio ?? true;
  }

  #checkTarget(setup: ControlSetup, direction: string): void {
    if (setup.requestType !== "vendor" || setup.recipient !== "device" || setup.index > 1) {
      throw stall(`control request ${setup.request} (${direction})`);
    }
  }

  protected override answerControlOut(setup: ControlSetup): void {
    this.#checkTarget(setup, "out");
    if (setup.request !== SET_BITMODE) throw stall(`control request ${setup.request} (out)`);
    if (setup.value >> 8 !== CBUS_BITBANG) return; // other bit modes leave CBUS alone
    const directions = (setup.value >> 4) & 0x0f;
    const levels = setup.value & 0x0f;
    this.pins = levels & directions;
    if (this.cbus0Gpio && directions & 0x01) this.#route(levels & 0x01 ? "host" : "dut");
  }

  protected override answerControlIn(setup: ControlSetup): Uint8Array {
    this.#checkTarget(setup, "in");
    if (setup.request !== READ_PINS) throw stall(`control request ${setup.request} (in)`);
    return new Uint8Array([this.pins]);
  }

  #route(target: "host" | "dut"): void {
    if (target === this.mux) return;
    this.mux = target;
    if (target === "host") {
      Deno.symlinkSync(this.imagePath, this.storagePath);
    } else {
      Deno.removeSync(this.storagePath);
    }
  }

  /** The reader's block device, as the host's sysfs would show it: only while the card is there. */
  storageDevice(): string | null {
    try {
      Deno.statSync(this.storagePath);
      return this.storagePath;
    } catch {
      return null;
    }
  }
}
