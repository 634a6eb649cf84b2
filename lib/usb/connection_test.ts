/**
 * UsbConnection against emulated devices: found on first use and opened once, one request at a
 * time, picked by serial (or refused when several match and `unique` is set), and found again
 * after the device was unplugged and plugged back.
 */
import assert from "node:assert/strict";
import { type ControlSetup, UsbTransferError } from "./transport.ts";
import { UsbConnection } from "./connection.ts";
import { EmulatedUsbBus, UsbDeviceEmulator } from "./_testing/usb_device_emulator.ts";

/** Answers every vendor IN request with its wValue, after `delayMs`. */
class EchoDevice extends UsbDeviceEmulator {
  active = 0;
  maxActive = 0;
  constructor(serial: string, readonly delayMs = 0) {
    super({
      vendorId: 0x1234,
      productId: 0x5678,
      serialNumber: serial,
      productName: "echo",
      interfaces: [],
    });
  }
  protected override async answerControlIn(setup: ControlSetup): Promise<Uint8Array> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.active--;
    return new Uint8Array([setup.value]);
  }
}

const MATCH = { what: "echo", vendorId: 0x1234, productId: 0x5678 };
const ask = (value: number) => ({
  requestType: "vendor" as const,
  recipient: "device" as const,
  request: 1,
  value,
  index: 0,
});

Deno.test("requests run one at a time on the device picked by serial, opened once", async () => {
  const a = new EchoDevice("A", 20);
  const b = new EchoDevice("B", 20);
  const connection = new UsbConnection(new EmulatedUsbBus(a, b), { ...MATCH, serial: "B" });
  const answers = await Promise.all(
    [1, 2, 3].map((value) =>
      connection.use((device) => device.controlTransferIn(ask(value), 1, 100))
    ),
  );
  assert.deepEqual(answers.map((answer) => answer[0]), [1, 2, 3]);
  assert.equal(b.maxActive, 1);
  assert.equal(b.opens, 1);
  assert.equal(a.opens, 0);
  await connection.close();
});

Deno.test("several matching devices and no serial: refused when unique, else the first", async () => {
  const bus = new EmulatedUsbBus(new EchoDevice("A"), new EchoDevice("B"));
  await assert.rejects(
    new UsbConnection(bus, { ...MATCH, serial: null, unique: true }).device(),
    /^Error: found 2 echo devices \(A, B\): set serial$/m,
  );
  const first = await new UsbConnection(bus, { ...MATCH, serial: null }).device();
  assert.equal(first.serial, "A");
});

Deno.test("an unplugged device fails with gone, then is not found, then is found again once back", async () => {
  const device = new EchoDevice("A");
  const connection = new UsbConnection(new EmulatedUsbBus(device), { ...MATCH, serial: "A" });
  await connection.use((found) => found.controlTransferIn(ask(1), 1, 100));
  device.unplug();
  await assert.rejects(
    connection.use((found) => found.controlTransferIn(ask(2), 1, 100)),
    (error: Error) => error instanceof UsbTransferError && error.gone,
  );
  await assert.rejects(
    connection.use((found) => found.controlTransferIn(ask(3), 1, 100)),
    /^Error: failed to find echo device with serial A \(USB 0x1234:0x5678\)$/m,
  );
  device.plug();
  const answer = await connection.use((found) => found.controlTransferIn(ask(4), 1, 100));
  assert.equal(answer[0], 4);
  assert.equal(device.opens, 2);
});
