/**
 * SDWire through a real session against the emulated FT200X (`_testing/`): upstream's documented
 * config loads unchanged, host/dut send upstream's SET_BITMODE requests and read back through
 * READ_PINS, flash and dump go through the reader's block device found next to the device, an
 * unprogrammed FT200X is only taken by serial, and an unplugged SD-Wire fails calls with one line
 * while the exporter keeps serving.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf, CompositeClient } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { DriverError } from "@jumpstarter/lib/wire";
import { StorageMuxFlasherClient } from "@jumpstarter/driver-opendal";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { sdwirePackageFor } from "./package.ts";
import { SDWire, type SdwireConfig } from "./driver.ts";
import { CARD_BYTES, sdwireLab, SERIAL } from "./_testing/lab.ts";

/** Upstream's docs/source/reference/package-apis/drivers/sdwire.yaml, as one exported entry. */
const UPSTREAM_ENTRY = `type: "jumpstarter_driver_sdwire.driver.SDWire"
config:
  # optional serial number of the sd-wire device
  # the first one found would be used if unset
  serial: "sdw-00001"
  # optional path to the block device exposed by sd-wire
  # automatically detected if unset
  storage_device: "/dev/disk/by-diskseq/1"
`;

function exporterConfig(entry: string): string {
  const indented = entry.trimEnd().split("\n").map((line) => `    ${line}`).join("\n");
  return `apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n  sdwire:\n${indented}\n`;
}

const CONFIG: SdwireConfig = {
  serial: SERIAL,
  "storage_device": null,
  "storage_timeout": 3,
  "storage_leeway": 0,
  "storage_fsync_timeout": 10,
};

const bitmode = (pins: number) => ({
  kind: "control_out",
  setup: {
    requestType: "vendor",
    recipient: "device",
    request: 0x0b,
    value: 0x2000 | pins,
    index: 0,
  },
  data: [],
});

Deno.test("upstream's documented config loads unchanged; with no such device, calls say so in one line", async () => {
  await using lab = await sdwireLab({ serial: "someone-else" });
  const packages = [sdwirePackageFor(lab.host), opendalPackage];
  const root = await buildDriverTree(
    parseExporterConfig(exporterConfig(UPSTREAM_ENTRY), "sdwire.yaml"),
    { registry: driverRegistryOf(packages) },
  );
  const sdwire = root.children.get("sdwire");
  assert.ok(sdwire instanceof SDWire);
  assert.equal(sdwire.config.storage_device, "/dev/disk/by-diskseq/1");
  await using served = await serve(root, undefined, { registry: clientRegistryOf(packages) });
  const client = served.client.child("sdwire", StorageMuxFlasherClient);
  await assert.rejects(
    client.host(),
    (error: Error) =>
      error instanceof DriverError &&
      error.message ===
        "sd-wire sdw-00001: switch to host failed: failed to find sd-wire device with serial sdw-00001 (USB 0x04e8:0x6001)",
  );
});

Deno.test("host and dut drive CBUS0 with upstream's SET_BITMODE requests; READ_PINS reads it back", async () => {
  await using lab = await sdwireLab();
  const driver = new SDWire(lab.host, CONFIG);
  await using served = await serve(driver, StorageMuxFlasherClient, {
    registry: clientRegistryOf([opendalPackage]),
  });
  await served.client.host();
  assert.equal(lab.device.mux, "host");
  assert.equal(await driver.query(), "host");
  await served.client.dut();
  assert.equal(lab.device.mux, "dut");
  assert.equal(await driver.query(), "dut");
  await served.client.off(); // upstream's off is host
  assert.equal(lab.device.mux, "host");
  const read = {
    kind: "control_in",
    setup: { requestType: "vendor", recipient: "device", request: 0x0c, value: 0, index: 0 },
    length: 1,
  };
  assert.deepEqual(lab.device.transcript, [
    bitmode(0xf1),
    read,
    bitmode(0xf0),
    read,
    bitmode(0xf1),
  ]);
});

Deno.test("flash writes the card through the reader found next to the SD-Wire, then hands it to the DUT; dump reads it", async () => {
  await using lab = await sdwireLab();
  const packages = [sdwirePackageFor(lab.host), opendalPackage];
  const root = await buildDriverTree(
    parseExporterConfig(
      exporterConfig(
        `type: SDWire\nconfig: { serial: ${SERIAL}, storage_timeout: 3, storage_leeway: 0 }`,
      ),
      "lab.yaml",
    ),
    { registry: driverRegistryOf(packages) },
  );
  await using served = await serve(root, undefined, { registry: clientRegistryOf(packages) });
  const storage = served.client.child("sdwire", StorageMuxFlasherClient);
  const image = `${lab.dir}/image.bin`;
  const bytes = crypto.getRandomValues(new Uint8Array(64 * 1024));
  await Deno.writeFile(image, bytes);
  const result = await storage.flash(image);
  assert.equal(result?.size, bytes.length);
  assert.equal(lab.device.mux, "dut");
  const card = await Deno.readFile(lab.device.imagePath);
  assert.equal(card.length, CARD_BYTES);
  assert.deepEqual(card.subarray(0, bytes.length), bytes);
  const dumped = `${lab.dir}/dump.bin`;
  await storage.dump(dumped);
  assert.deepEqual((await Deno.readFile(dumped)).subarray(0, bytes.length), bytes);
  assert.ok(served.client instanceof CompositeClient);
});

Deno.test("an unprogrammed FT200X is taken only by its serial number, as upstream", async () => {
  await using lab = await sdwireLab({ unprogrammed: true });
  const anonymous = new SDWire(lab.host, { ...CONFIG, serial: null });
  await assert.rejects(anonymous.host(), /failed to find sd-wire device \(USB 0x04e8:0x6001\)/);
  const pinned = new SDWire(lab.host, CONFIG);
  await pinned.host();
  assert.equal(lab.device.mux, "host");
  await anonymous.close();
  await pinned.close();
});

Deno.test("a mux that does not switch (CBUS0 not a GPIO) fails the write after storage_timeout, naming why", async () => {
  await using lab = await sdwireLab({ cbus0Gpio: false });
  const driver = new SDWire(lab.host, { ...CONFIG, storage_timeout: 1 });
  await using served = await serve(driver, StorageMuxFlasherClient, {
    registry: clientRegistryOf([opendalPackage]),
  });
  const image = `${lab.dir}/image.bin`;
  await Deno.writeFile(image, new Uint8Array(1024));
  await assert.rejects(
    served.client.write(image),
    (error: Error) =>
      error instanceof DriverError &&
      error.message ===
        "sd-wire sdw-00001: SD card disk did not become available on host within storage_timeout (1 s)",
  );
  await served.client.dut(); // the session still serves
});

Deno.test("an SD-Wire unplugged mid-session fails with one line; plugged back, it is found again", async () => {
  await using lab = await sdwireLab();
  const driver = new SDWire(lab.host, CONFIG);
  await using served = await serve(driver, StorageMuxFlasherClient, {
    registry: clientRegistryOf([opendalPackage]),
  });
  await served.client.host();
  lab.device.unplug();
  await assert.rejects(
    served.client.dut(),
    (error: Error) =>
      error instanceof DriverError &&
      error.message ===
        "sd-wire sdw-00001: switch to dut failed (device disconnected): control request 11 (out): LIBUSB_ERROR_NO_DEVICE",
  );
  await assert.rejects(served.client.dut(), /failed to find sd-wire device with serial sdw-00001/);
  lab.device.plug();
  await served.client.dut();
  assert.equal(lab.device.mux, "dut");
  assert.equal(lab.device.opens, 2);
});

Deno.test("an image the exporter fetches itself (gzip over HTTP) is decoded before it reaches the card", async () => {
  await using lab = await sdwireLab();
  const driver = new SDWire(lab.host, CONFIG);
  await using served = await serve(driver, StorageMuxFlasherClient, {
    registry: clientRegistryOf([opendalPackage]),
  });
  const bytes = crypto.getRandomValues(new Uint8Array(50_000));
  const gzipped = gzipSync(bytes);
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(gzipped),
  );
  const result = await served.client.flash(
    `http://127.0.0.1:${server.addr.port}/image.img.gz`,
    { exporterFetch: true },
  );
  assert.equal(result?.size, bytes.length);
  assert.deepEqual((await Deno.readFile(lab.device.imagePath)).subarray(0, bytes.length), bytes);
});
