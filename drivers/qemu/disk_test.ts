/**
 * Disk images: format detection and growth, checked against qemu-img (Debian qemu-utils).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DriverError } from "@jumpstarter/lib/wire";
import { detectFormat, growImage } from "./disk.ts";

async function qemuImg(...args: string[]): Promise<string> {
  const output = await new Deno.Command("qemu-img", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout);
  assert.ok(
    output.success,
    `qemu-img ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`,
  );
  return text;
}

async function virtualSize(path: string): Promise<number> {
  return JSON.parse(await qemuImg("info", "--output=json", path))["virtual-size"];
}

Deno.test("detectFormat and growImage agree with qemu-img on raw and qcow2 images", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const raw = join(dir, "disk.raw");
    const qcow2 = join(dir, "disk.qcow2");
    const empty = join(dir, "empty");
    await qemuImg("create", "-f", "raw", raw, "1M");
    await qemuImg("create", "-f", "qcow2", qcow2, "1M");
    await Deno.writeFile(empty, new Uint8Array());
    assert.equal(await detectFormat(raw), "raw");
    assert.equal(await detectFormat(qcow2), "qcow2");
    assert.equal(await detectFormat(empty), "raw");

    assert.equal(await growImage(raw, "raw", 8 * 1024 * 1024), true);
    assert.equal(await virtualSize(raw), 8 * 1024 * 1024);
    assert.equal(await growImage(qcow2, "qcow2", 8 * 1024 * 1024), true);
    assert.equal(await virtualSize(qcow2), 8 * 1024 * 1024);
    // never shrinks
    assert.equal(await growImage(qcow2, "qcow2", 1024 * 1024), false);
    assert.equal(await growImage(raw, "raw", 1024 * 1024), false);
    assert.equal(await virtualSize(raw), 8 * 1024 * 1024);

    const vmdk = join(dir, "disk.vmdk");
    await qemuImg("create", "-f", "vmdk", vmdk, "1M");
    assert.equal(await detectFormat(vmdk), "vmdk");
    await assert.rejects(growImage(vmdk, "vmdk", 8 * 1024 * 1024), DriverError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
