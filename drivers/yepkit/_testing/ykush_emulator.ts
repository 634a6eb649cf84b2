/**
 * Test support: a Yepkit YKUSH hub emulated at its USB boundary (no hub exists on these
 * machines): a HID interface 0 with interrupt endpoints 1 IN and 1 OUT taking 64-byte reports.
 * It answers each command report with a 64-byte report, status byte 1 first, as Yepkit's pykush
 * expects: port up 0x11..0x13 / all 0x1a, down 0x01..0x03 / all 0x0a (answer: 1, the command),
 * status 0x21..0x23 (answer: 1, 0x10 | port when up, else the port), all states 0x2a, firmware
 * version 0xf0 (2.0) and port count 0xf1 (3). Unknown commands answer status 0xff; a report that
 * is not 64 bytes stalls; reading with no answer pending times out.
 */
import { stall, UsbDeviceEmulator } from "../../../lib/usb/_testing/usb_device_emulator.ts";
import { UsbTransferError } from "@jumpstarter/lib/usb";
import { REPORT_BYTES, YKUSH_PRODUCT_ID, YKUSH_VENDOR_ID } from "../protocol.ts";

const ENDPOINT = 1;

export class YkushEmulator extends UsbDeviceEmulator {
  /** Port power, index 0 is port 1. */
  readonly ports: [boolean, boolean, boolean] = [true, true, true];
  /** The command bytes received, in order. */
  readonly commands: number[] = [];
  /** Pull the cable right after the next command arrives, before it is answered. */
  unplugBeforeAnswer = false;
  #pending: Uint8Array | undefined;

  constructor(serial: string) {
    super({
      vendorId: YKUSH_VENDOR_ID,
      productId: YKUSH_PRODUCT_ID,
      serialNumber: serial,
      productName: "YKUSH",
      interfaces: [{
        number: 0,
        class: 0x03,
        subclass: 0x00,
        protocol: 0x00,
        endpoints: [
          { number: ENDPOINT, direction: "in", type: "interrupt" },
          { number: ENDPOINT, direction: "out", type: "interrupt" },
        ],
      }],
    });
  }

  #answer(...bytes: number[]): Uint8Array {
    const report = new Uint8Array(REPORT_BYTES);
    report.set(bytes);
    return report;
  }

  #state(port: number): number {
    return this.ports[port - 1] ? 0x10 | port : port;
  }

  protected override receiveOut(endpoint: number, data: Uint8Array): void {
    if (endpoint !== ENDPOINT || !this.claimed(0)) throw stall(`write to endpoint ${endpoint}`);
    if (data.length !== REPORT_BYTES) throw stall(`write of ${data.length} bytes`);
    const command = data[0]!;
    this.commands.push(command);
    if (this.unplugBeforeAnswer) {
      this.unplugBeforeAnswer = false;
      this.unplug();
      return;
    }
    const port = command & 0x0f;
    const high = command & 0xf0;
    if ((high === 0x10 || high === 0x00) && (port >= 1 && port <= 3 || port === 0x0a)) {
      const up = high === 0x10;
      if (port === 0x0a) this.ports.fill(up);
      else this.ports[port - 1] = up;
      this.#pending = this.#answer(0x01, command);
    } else if (high === 0x20 && port >= 1 && port <= 3) {
      this.#pending = this.#answer(0x01, this.#state(port));
    } else if (command === 0x2a) {
      this.#pending = this.#answer(0x01, this.#state(1), this.#state(2), this.#state(3));
    } else if (command === 0xf0) {
      this.#pending = this.#answer(0x01, 2, 0);
    } else if (command === 0xf1) {
      this.#pending = this.#answer(0x01, 3);
    } else {
      this.#pending = this.#answer(0xff);
    }
  }

  protected override answerIn(endpoint: number): Uint8Array {
    if (endpoint !== ENDPOINT || !this.claimed(0)) throw stall(`read from endpoint ${endpoint}`);
    const answer = this.#pending;
    if (answer === undefined) {
      throw new UsbTransferError(`read from endpoint ${endpoint}: LIBUSB_ERROR_TIMEOUT`);
    }
    this.#pending = undefined;
    return answer;
  }
}
