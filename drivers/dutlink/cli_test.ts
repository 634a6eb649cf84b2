/**
 * `j` (the real program, from `bin/j`) driving an exporter that serves the emulated DUT Link:
 * power, flash and dump through the board's children, and one line on stderr, exit 1, when the
 * board is unplugged, with the next command working once it is back.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { dutlinkPackageFor } from "./package.ts";
import { dutlinkLab } from "./_testing/lab.ts";

const J = fileURLToPath(new URL("../../bin/j", import.meta.url));

Deno.test("j dutlink power/storage flash/dump drive the emulated board; an unplug is one line", async () => {
  await using lab = await dutlinkLab();
  const packages = [dutlinkPackageFor(lab.host), powerPackage, opendalPackage, serialPackage];
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  dutlink:
    type: jumpstarter_driver_dutlink.driver.Dutlink
    config: { storage_device: "${lab.board.storagePath}", storage_leeway: 0 }
`;
  const root = await buildDriverTree(parseExporterConfig(yaml, "lab.yaml"), {
    registry: driverRegistryOf(packages),
  });
  await using served = await serve(root, undefined, { registry: clientRegistryOf(packages) });
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
    return result.stdout;
  };

  await ok("dutlink", "power", "on");
  assert.equal(lab.board.power, "on");
  const image = `${lab.dir}/image.bin`;
  const bytes = crypto.getRandomValues(new Uint8Array(32 * 1024));
  await Deno.writeFile(image, bytes);
  await ok("dutlink", "storage", "flash", image);
  assert.equal(lab.board.storage, "dut");
  assert.deepEqual((await Deno.readFile(lab.board.imagePath)).subarray(0, bytes.length), bytes);
  const dumped = `${lab.dir}/dump.bin`;
  await ok("dutlink", "storage", "dump", dumped);
  assert.deepEqual((await Deno.readFile(dumped)).subarray(0, bytes.length), bytes);

  lab.board.unplug();
  const failed = await j("dutlink", "power", "off");
  assert.equal(failed.code, 1);
  assert.equal(
    failed.stderr,
    "Error: dutlink e6058a3c: power off failed (device disconnected): control request 1 (out): LIBUSB_ERROR_NO_DEVICE\n",
  );
  lab.board.plug();
  await ok("dutlink", "power", "off");
  assert.equal(lab.board.power, "off");
});
