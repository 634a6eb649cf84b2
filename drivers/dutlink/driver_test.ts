/**
 * DUT Link through a real session against the emulated board (`_testing/`): upstream's example
 * config loads unchanged, the typed clients send exactly upstream's vendor requests, the storage
 * is flashed and dumped through the block device that appears on the host, the console reaches
 * the firmware shell, and an unplugged board fails calls with one line while the exporter keeps
 * serving, and is used again once plugged back.
 */
import assert from "node:assert/strict";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf, CompositeClient } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { DriverError } from "@jumpstarter/lib/wire";
import { PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { StorageMuxFlasherClient } from "@jumpstarter/driver-opendal";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { PySerialClient } from "@jumpstarter/driver-serial";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { dutlinkPackageFor } from "./package.ts";
import { Dutlink } from "./driver.ts";
import { CARD_BYTES, dutlinkLab, loopDevicesAvailable, SERIAL } from "./_testing/lab.ts";
import { VENDOR_INTERFACE } from "./_testing/dutlink_emulator.ts";

/** Upstream's examples/exporter.yaml, with the storage device pointed at the emulated card. */
function upstreamExample(storageDevice: string): string {
  return `# /etc/jumpstarter/exporters/dutlink.yaml
apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata:
  namespace: default
  name: demo
endpoint: ""
token: ""
export:
  dutlink:
    type: jumpstarter_driver_dutlink.driver.Dutlink
    config:
      storage_device: "${storageDevice}" # TODO: replace with real storage device
      storage_leeway: 0
`;
}

const vendorOut = (request: number, value: number) => ({
  kind: "control_out",
  setup: {
    requestType: "vendor",
    recipient: "interface",
    request,
    value,
    index: VENDOR_INTERFACE,
  },
  data: [],
});

async function servedLab(lab: Awaited<ReturnType<typeof dutlinkLab>>) {
  const packages = [
    dutlinkPackageFor(lab.host),
    powerPackage,
    opendalPackage,
    serialPackage,
  ];
  const config = parseExporterConfig(
    upstreamExample(lab.board.storagePath),
    "dutlink.yaml",
  );
  const root = await buildDriverTree(config, {
    registry: driverRegistryOf(packages),
  });
  return await serve(root, undefined, { registry: clientRegistryOf(packages) });
}

Deno.test("upstream's example config loads unchanged: power, storage and console of one board", async () => {
  await using lab = await dutlinkLab();
  const packages = [dutlinkPackageFor(lab.host)];
  const config = parseExporterConfig(
    upstreamExample("/dev/null").replace("      storage_leeway: 0\n", ""),
    "dutlink.yaml",
  );
  const root = await buildDriverTree(config, {
    registry: driverRegistryOf(packages),
  });
  const dutlink = root.children.get("dutlink");
  assert.ok(dutlink instanceof Dutlink);
  assert.equal(dutlink.serial, SERIAL);
  assert.deepEqual([...dutlink.children.keys()], [
    "power",
    "storage",
    "console",
  ]);
  assert.deepEqual(
    [...dutlink.children.values()].map((child) => child.interface.client),
    [
      "jumpstarter_driver_power.client.PowerClient",
      "jumpstarter_driver_opendal.client.StorageMuxFlasherClient",
      "jumpstarter_driver_pyserial.client.PySerialClient",
    ],
  );
});

Deno.test("power: upstream's vendor requests, repeated actions skipped, rescue, metered readings", async () => {
  await using lab = await dutlinkLab();
  await using served = await servedLab(lab);
  const power = served.client.child("dutlink", CompositeClient).child(
    "power",
    PowerClient,
  );
  await power.on();
  await power.on(); // skipped, as upstream: the same action twice is sent once
  await power.rescue();
  await power.off();
  assert.deepEqual(lab.board.actions, [
    "power on",
    "power rescue",
    "power off",
  ]);
  assert.deepEqual(lab.board.transcript, [
    vendorOut(1, 1),
    vendorOut(1, 4),
    vendorOut(1, 0),
  ]);
  assert.ok(
    lab.board.claimed(VENDOR_INTERFACE),
    "the vendor interface was not claimed",
  );

  await power.on();
  lab.board.transcript.length = 0;
  for await (const reading of power.read()) {
    assert.deepEqual(reading, { voltage: 5.02, current: 0.41 });
    break;
  }
  assert.deepEqual(lab.board.transcript.slice(0, 2), [
    vendorOut(0, 0),
    {
      kind: "control_in",
      setup: {
        requestType: "vendor",
        recipient: "interface",
        request: 4,
        value: 1,
        index: VENDOR_INTERFACE,
      },
      length: 512,
    },
  ]);
});

Deno.test("storage: flash waits for the card to appear on the host, writes it, then hands it to the DUT; dump reads it back", async () => {
  await using lab = await dutlinkLab();
  lab.board.appearAfterMs = 1200; // the reader takes a moment to show the card, as real ones do
  await using served = await servedLab(lab);
  const storage = served.client.child("dutlink", CompositeClient).child(
    "storage",
    StorageMuxFlasherClient,
  );
  const image = `${lab.dir}/image.bin`;
  const bytes = crypto.getRandomValues(new Uint8Array(64 * 1024));
  await Deno.writeFile(image, bytes);
  const result = await storage.flash(image);
  assert.equal(result?.size, bytes.length);
  // upstream's client switches to the host before writing, and its driver does again
  assert.deepEqual(lab.board.actions, [
    "storage host",
    "storage host",
    "storage dut",
  ]);
  const card = await Deno.readFile(lab.board.imagePath);
  assert.equal(card.length, CARD_BYTES, "the card's size changed");
  assert.deepEqual(card.subarray(0, bytes.length), bytes);

  const dumped = `${lab.dir}/dump.bin`;
  await storage.dump(dumped);
  assert.deepEqual(lab.board.actions.slice(3), [
    "storage host",
    "storage host",
    "storage dut",
  ]);
  assert.deepEqual(
    (await Deno.readFile(dumped)).subarray(0, bytes.length),
    bytes,
  );
});

Deno.test("console: the firmware shell answers through the board's tty", async () => {
  await using lab = await dutlinkLab();
  await using served = await servedLab(lab);
  const console = served.client.child("dutlink", CompositeClient).child(
    "console",
    PySerialClient,
  );
  await using session = await console.expect({ timeout: 10 });
  await session.send("about\r");
  await session.expect("Jumpstarter test-harness");
  await session.send("console\r");
  await session.expect("Entering console mode");
  await session.send("loopback\r");
  await session.expect("loopback");
});

Deno.test("an unplugged board fails reads and switches with one line; plugged back, it is used again", async () => {
  await using lab = await dutlinkLab();
  await using served = await servedLab(lab);
  const board = served.client.child("dutlink", CompositeClient);
  const power = board.child("power", PowerClient);
  await power.on();
  const readings = power.read();
  assert.deepEqual((await readings.next()).value, {
    voltage: 5.02,
    current: 0.41,
  });
  lab.board.unplug();
  await assert.rejects(
    readings.next(),
    (error: Error) =>
      error instanceof DriverError &&
      error.message ===
        `dutlink ${SERIAL}: read power failed (device disconnected): control request 0 (out): LIBUSB_ERROR_NO_DEVICE`,
  );
  await assert.rejects(
    power.off(),
    /^DriverError: dutlink e6058a3c: power off failed: failed to find dutlink device with serial e6058a3c \(USB 0x2b23:0x1012\)$/m,
  );
  const storage = board.child("storage", StorageMuxFlasherClient);
  await assert.rejects(
    storage.host(),
    /failed to find dutlink device with serial e6058a3c/,
  );

  lab.board.plug();
  await power.off();
  await power.on();
  assert.equal(lab.board.power, "on");
  assert.equal(
    lab.board.opens,
    2,
    "the board was not opened again after it came back",
  );
});

Deno.test({
  name:
    "storage on a real loop block device: flash writes it; an image larger than the card fails in one line and the board keeps serving",
  ignore: !loopDevicesAvailable(),
  fn: async () => {
    await using lab = await dutlinkLab({ loop: true });
    await using served = await servedLab(lab);
    const board = served.client.child("dutlink", CompositeClient);
    const storage = board.child("storage", StorageMuxFlasherClient);
    const image = `${lab.dir}/image.bin`;
    const bytes = crypto.getRandomValues(new Uint8Array(64 * 1024));
    await Deno.writeFile(image, bytes);
    await storage.flash(image);
    assert.deepEqual((await Deno.readFile(lab.cardFile)).subarray(0, bytes.length), bytes);

    const tooLarge = `${lab.dir}/too-large.bin`;
    await Deno.writeFile(tooLarge, new Uint8Array(CARD_BYTES + 4096));
    await assert.rejects(
      storage.write(tooLarge),
      (error: Error) =>
        error instanceof DriverError &&
        new RegExp(`^Cannot write storage device ${lab.board.storagePath}: No space left on device`)
          .test(error.message) &&
        !error.message.includes("\n"),
    );
    await board.child("power", PowerClient).on();
    assert.equal(lab.board.power, "on");
  },
});

Deno.test("the parts load on their own with upstream's class paths and keys, and drive the board", async () => {
  await using lab = await dutlinkLab();
  const packages = [dutlinkPackageFor(lab.host), powerPackage, opendalPackage, serialPackage];
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  power:
    type: jumpstarter_driver_dutlink.driver.DutlinkPower
    config: { serial: "${SERIAL}", timeout_s: 5 }
  storage:
    type: jumpstarter_driver_dutlink.driver.DutlinkStorageMux
    config: { serial: "${SERIAL}", storage_device: "${lab.board.storagePath}" }
  console:
    type: jumpstarter_driver_dutlink.driver.DutlinkSerial
    config: { serial: "${SERIAL}", baudrate: 9600, check_present: true }
`;
  const root = await buildDriverTree(parseExporterConfig(yaml, "parts.yaml"), {
    registry: driverRegistryOf(packages),
  });
  await using served = await serve(root, undefined, { registry: clientRegistryOf(packages) });
  await served.client.child("power", PowerClient).on();
  await served.client.child("storage", StorageMuxFlasherClient).host();
  assert.deepEqual(lab.board.actions, ["power on", "storage host"]);
  await using session = await served.client.child("console", PySerialClient).expect({
    timeout: 10,
  });
  await session.send("status\r");
  await session.expect("power: on");
});
