/**
 * `j qemu resize disk|memory` and `j qemu power off --destroy`, run through the real `j` against
 * a Qemu composite booting Debian's U-Boot in real QEMU: the sizes reach QEMU at the next power
 * on, and destroy discards the flashed root disk.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { compositeType } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { Qemu } from "./driver.ts";
import { QemuClient } from "./client.ts";
import { pidAlive, ubootVm } from "./_testing/qemu.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { driverPackage as networkPackage } from "@jumpstarter/driver-network/package";

const PACKAGES = [driverPackage, powerPackage, serialPackage, networkPackage];

const J = fileURLToPath(new URL("../../bin/j", import.meta.url));
const MIB = 1024 * 1024;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("j qemu resize disk/memory apply at the next power on; off --destroy drops the flashed root", async () => {
  const qemu = new Qemu(ubootVm());
  const root = compositeType.create({}, {});
  root.addChild("qemu", qemu);
  await using served = await serve(root, undefined, { packages: PACKAGES });
  const image = await Deno.makeTempFile({ suffix: ".img" });
  await Deno.writeFile(image, new Uint8Array(MIB));
  const j = async (...args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(J, {
      args,
      env: { JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" },
      stdin: "null",
      signal: AbortSignal.timeout(90_000),
    }).output();
    const text = new TextDecoder();
    assert.equal(code, 0, `j ${args.join(" ")} exited ${code}: ${text.decode(stderr)}`);
    return text.decode(stdout);
  };
  try {
    await j("qemu", "flasher", "flash", image);
    assert.equal(
      await j("qemu", "resize", "disk", "8M"),
      "Disk will be resized to 8M on next power on\n",
    );
    assert.equal(
      await j("qemu", "resize", "memory", "384M"),
      "Memory will be set to 384M on next power on\n",
    );
    await j("qemu", "power", "on");
    const pid = qemu.machine.pid;
    assert.ok(pid !== undefined, "QEMU is not running after power on");
    const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
    assert.equal(argv[argv.indexOf("-m") + 1], "384M", `QEMU ran as ${argv.join(" ")}`);
    const flashedRoot = qemu.machine.flashedPath("root");
    assert.equal((await Deno.stat(flashedRoot)).size, 8 * MIB);

    await j("qemu", "power", "off", "--destroy");
    assert.equal(await pidAlive(pid), false);
    assert.equal(await exists(flashedRoot), false, "destroy kept the flashed root disk");
  } finally {
    await Deno.remove(image);
  }
});

Deno.test("set_disk_size/set_memory_size refuse a size that is none, as upstream (INVALID_ARGUMENT)", async () => {
  await using served = await serve(new Qemu(ubootVm()), QemuClient, { packages: PACKAGES });
  await assert.rejects(
    served.client.setMemorySize("lots"),
    (error: Error) =>
      error instanceof InvalidArgumentError &&
      error.message === "Invalid size: 'lots'. Use e.g. '20G', '512M', '2T'",
  );
  await assert.rejects(served.client.setDiskSize("-1G"), InvalidArgumentError);
});
