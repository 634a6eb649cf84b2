/**
 * `j` (the real program, from `bin/j`) driving an exporter that serves an SDWire on the emulated
 * FT200X: flash writes the card and leaves it on the DUT, host/dut switch it, and an unplugged
 * SD-Wire is one line on stderr with exit code 1.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { compositeType } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { SDWire } from "./driver.ts";
import { sdwireLab, SERIAL } from "./_testing/lab.ts";

const J = fileURLToPath(new URL("../../bin/j", import.meta.url));

Deno.test("j sdwire flash/host/dut drive the emulated SD-Wire; an unplug is one line", async () => {
  await using lab = await sdwireLab();
  const root = compositeType.create({}, {});
  root.addChild(
    "sdwire",
    new SDWire(lab.host, {
      serial: SERIAL,
      "storage_device": null,
      "storage_timeout": 3,
      "storage_leeway": 0,
      "storage_fsync_timeout": 10,
    }),
  );
  await using served = await serve(root, undefined, {
    registry: clientRegistryOf([opendalPackage]),
  });
  const j = async (...args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(J, {
      args,
      env: { JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" },
      stdin: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder();
    return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
  };
  const ok = async (...args: string[]) => {
    const result = await j(...args);
    assert.equal(result.code, 0, `j ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  };

  const image = `${lab.dir}/image.bin`;
  const bytes = crypto.getRandomValues(new Uint8Array(48 * 1024));
  await Deno.writeFile(image, bytes);
  await ok("sdwire", "flash", image);
  assert.equal(lab.device.mux, "dut");
  assert.deepEqual((await Deno.readFile(lab.device.imagePath)).subarray(0, bytes.length), bytes);
  await ok("sdwire", "host");
  assert.equal(lab.device.mux, "host");
  await ok("sdwire", "dut");
  assert.equal(lab.device.mux, "dut");

  lab.device.unplug();
  const failed = await j("sdwire", "host");
  assert.equal(failed.code, 1);
  assert.equal(
    failed.stderr,
    `Error: sd-wire ${SERIAL}: switch to host failed (device disconnected): control request 11 (out): LIBUSB_ERROR_NO_DEVICE\n`,
  );
});
