/**
 * The Qemu composite against real QEMU (qemu-system-aarch64/-arm under TCG) booting Debian's
 * U-Boot, through the real client <-> exporter path.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DriverClient } from "@jumpstarter/lib/client";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { VirtualPowerClient } from "@jumpstarter/driver-power";
import { NetworkClient } from "@jumpstarter/driver-network";
import { Expect } from "@jumpstarter/lib/streams";
import { Qemu } from "./driver.ts";
import { FlasherClient, QemuClient } from "./client.ts";
import { interruptAutoboot, pidAlive, UBOOT_ARM, UBOOT_ARM64, ubootVm } from "./_testing/qemu.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { driverPackage as networkPackage } from "@jumpstarter/driver-network/package";

const PACKAGES = [driverPackage, powerPackage, serialPackage, networkPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function children(client: DriverClient) {
  return {
    power: client.child("power", VirtualPowerClient),
    console: client.child("console", DriverClient),
    flasher: client.child("flasher", FlasherClient),
  };
}

Deno.test("Qemu boots U-Boot: the prompt is on the console, QMP quit stops it, no process is left", async () => {
  const driver = new Qemu(ubootVm());
  const served = await serve(driver, QemuClient, { packages: PACKAGES });
  let pids: number[] = [];
  try {
    const { power, console: serial } = children(served.client);
    assert.equal(serial.clientClass, "jumpstarter_driver_pyserial.client.PySerialClient");
    assert.equal(power.clientClass, "jumpstarter_driver_power.client.VirtualPowerClient");
    // attached while off: the console is a cable that outlives power cycles
    await using console = new Expect(await serial.stream("connect"), { timeout: 60 });
    await power.on();
    const first = driver.machine.pid!;
    pids.push(first);
    assert.ok(await pidAlive(first));
    assert.equal(driver.machine.lastAccel, "tcg");
    await interruptAutoboot(console);
    await console.sendline("version");
    const { before } = await console.expect("\n=> ");
    assert.match(before, /U-Boot 20\d\d\.\d\d/);
    assert.match(before, /aarch64-linux-gnu-gcc/);

    await power.off();
    assert.equal(driver.machine.lastStop, "quit");
    assert.equal(await pidAlive(first), false, `QEMU pid ${first} survived power off`);
    assert.equal(driver.machine.pid, undefined);

    await power.on();
    pids.push(driver.machine.pid!);
    assert.notEqual(driver.machine.pid, first);
    await console.expect("U-Boot 20", { timeout: 60 });
  } finally {
    await served.close();
  }
  for (const pid of pids) assert.equal(await pidAlive(pid), false, `QEMU pid ${pid} survived`);
  assert.equal(driver.machine.lastStop, "quit");
  assert.equal(await exists(driver.machine.dir), false, "the instance directory was left behind");
  pids = [];
});

Deno.test("Qemu: power on twice keeps one process; off when off does nothing", async () => {
  const driver = new Qemu(ubootVm());
  await using served = await serve(driver, QemuClient, { packages: PACKAGES });
  const { power } = children(served.client);
  await power.off();
  await power.on();
  const pid = driver.machine.pid!;
  await power.on();
  assert.equal(driver.machine.pid, pid);
  await power.off();
  assert.equal(await pidAlive(pid), false);
});

Deno.test("Qemu: shutdown_timeout asks the guest first and quits when it ignores the request", async () => {
  // U-Boot has no power button handler: system_powerdown goes unanswered
  const driver = new Qemu(ubootVm({ "shutdown_timeout": 0.5 }));
  await using served = await serve(driver, QemuClient, { packages: PACKAGES });
  const messages: string[] = [];
  const logs = served.session.logs.subscribe();
  const collecting = (async () => {
    for await (const record of logs) messages.push(record.message);
  })();
  const { power } = children(served.client);
  await power.on();
  const pid = driver.machine.pid!;
  const started = performance.now();
  await power.off();
  assert.ok(performance.now() - started >= 500, "did not wait for the guest");
  assert.equal(driver.machine.lastStop, "quit");
  assert.equal(await pidAlive(pid), false);
  logs.close();
  await collecting;
  assert.ok(messages.includes("QMP event POWERDOWN"), messages.join("\n"));
  assert.ok(messages.some((m) => m.endsWith("stopped: QMP quit")), messages.join("\n"));
});

Deno.test("Qemu: a guest that powers itself off is noticed and reaped", async () => {
  const driver = new Qemu(ubootVm());
  await using served = await serve(driver, QemuClient, { packages: PACKAGES });
  const { power, console: serial } = children(served.client);
  await using console = new Expect(await serial.stream("connect"), { timeout: 60 });
  await power.on();
  const pid = driver.machine.pid!;
  await interruptAutoboot(console);
  await console.sendline("poweroff");
  // the console stays attached; the machine notices the exit on its own
  await driver.machine.whenStopped();
  assert.equal(driver.machine.running, false);
  assert.equal(driver.machine.lastStop, "exited");
  assert.equal(await pidAlive(pid), false);
  await power.on();
  await console.expect("U-Boot 20", { timeout: 60 });
});

Deno.test("Qemu flasher: flash the bios, refuse while running, dump it back", async () => {
  const driver = new Qemu(ubootVm({ "default_partitions": {} }));
  await using served = await serve(driver, QemuClient, { packages: PACKAGES });
  const { power, console: serial, flasher } = children(served.client);
  await flasher.flash(UBOOT_ARM64, { target: "bios" });
  await using console = new Expect(await serial.stream("connect"), { timeout: 60 });
  await power.on();
  await interruptAutoboot(console);
  await assert.rejects(
    flasher.flash(UBOOT_ARM64, { target: "bios" }),
    (error: Error) => error instanceof DriverError && /VM is running/.test(error.message),
  );
  await assert.rejects(
    flasher.flash(UBOOT_ARM64, { target: "nvram" }),
    (error: Error) =>
      error instanceof InvalidArgumentError && /Unknown QEMU partition/.test(error.message),
  );
  const dir = await Deno.makeTempDir();
  try {
    await flasher.dump(join(dir, "bios.bin"), { target: "bios" });
    assert.deepEqual(await Deno.readFile(join(dir, "bios.bin")), await Deno.readFile(UBOOT_ARM64));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await power.off();
  // destroy discards what was flashed: with no default bios there is nothing to dump
  await served.client.child("power", VirtualPowerClient).off({ destroy: true });
  await assert.rejects(
    flasher.dump("/dev/null", { target: "bios" }),
    /nothing was flashed/,
  );
});

Deno.test("Qemu root disk: grown to disk_size, seen by the guest with the cloud-init seed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const image = join(dir, "root.img");
    await Deno.writeFile(image, new Uint8Array(1024 * 1024));
    const sshPort = freePort();
    const driver = new Qemu(ubootVm({
      "disk_size": "8M",
      hostname: "board-7",
      "default_partitions": { bios: UBOOT_ARM64, root: image },
      hostfwd: { ssh: { hostport: sshPort, guestport: 22 } },
    }));
    await using served = await serve(driver, QemuClient, { packages: PACKAGES });
    assert.equal(await served.client.hostname(), "board-7");
    assert.equal(await served.client.username(), "jumpstarter");
    assert.equal(await served.client.password(), "password");
    const { power, console: serial } = children(served.client);
    const ssh = served.client.child("ssh", NetworkClient);
    assert.equal(ssh.clientClass, "jumpstarter_driver_network.client.NetworkClient");
    await using console = new Expect(await serial.stream("connect"), { timeout: 60 });
    await power.on();
    await interruptAutoboot(console);
    await console.sendline("virtio scan; virtio info");
    const info = (await console.expect("\n=> ")).before;
    assert.match(info, /Device 0: [^]*?Capacity: 8\.0 MB[^]*Device 1: /);
    await console.sendline("fatls virtio 1");
    const listing = (await console.expect("\n=> ")).before;
    assert.match(listing, /meta-data/);
    assert.match(listing, /user-data/);
    await console.sendline("fatload virtio 1 ${loadaddr} meta-data; md.b ${loadaddr} 0x60");
    assert.match((await console.expect("\n=> ")).before, /board-7/);
    // the default image is copied before it is grown, never changed in place
    assert.equal((await Deno.stat(image)).size, 1024 * 1024);
    // QEMU listens on the forwarded port, and the ssh child reaches it
    const stream = await ssh.stream("connect");
    await stream.writable.close();
    await stream.readable.cancel().catch(() => {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Qemu runs 32-bit arm guests too (qemu-system-arm, cortex-a15)", async () => {
  const driver = new Qemu(ubootVm({ arch: "arm", "default_partitions": { bios: UBOOT_ARM } }));
  await using served = await serve(driver, QemuClient, { packages: PACKAGES });
  const { power, console: serial } = children(served.client);
  await using console = new Expect(await serial.stream("connect"), { timeout: 60 });
  await power.on();
  await interruptAutoboot(console);
  await console.sendline("version");
  assert.match((await console.expect("\n=> ")).before, /arm-linux-gnueabihf-gcc/);
});

Deno.test("Qemu: start failures are errors with QEMU's reason, and the exporter keeps serving", async () => {
  const missing = new Qemu(ubootVm({ "default_partitions": { bios: "/nonexistent/u-boot.bin" } }));
  await using served = await serve(missing, QemuClient, { packages: PACKAGES });
  const { power } = children(served.client);
  await assert.rejects(
    power.on(),
    /default_partitions\.bios \/nonexistent\/u-boot\.bin does not exist/,
  );

  const bad = new Qemu(ubootVm({ "extra_args": ["-no-such-option"] }));
  await using served2 = await serve(bad, QemuClient, { packages: PACKAGES });
  await assert.rejects(
    children(served2.client).power.on(),
    (error: Error) =>
      error instanceof DriverError &&
      /QEMU exited while starting.*no-such-option/s.test(error.message),
  );
  assert.equal(bad.machine.running, false);

  const notInstalled = new Qemu(ubootVm({ arch: "sparc64", machine: "sun4u" }));
  await using served3 = await serve(notInstalled, QemuClient, { packages: PACKAGES });
  await assert.rejects(children(served3.client).power.on(), /qemu-system-sparc64 is not installed/);
  // still serving
  assert.equal(await served3.client.hostname(), "demo");
});

Deno.test("Qemu is registered under its upstream class path with a validated config", () => {
  const type = driverRegistry.get("jumpstarter_driver_qemu.driver.Qemu");
  assert.equal(type?.name, "Qemu");
  assert.equal(driverRegistry.get("Qemu"), type);
  const bad = type!.config.safeParse({ mem: "lots" });
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0]!.message, /mem must be a size/);
});

Deno.test("the Qemu children report upstream head's client classes", async () => {
  await using served = await serve(new Qemu(ubootVm()), QemuClient, { packages: PACKAGES });
  const labels = Object.fromEntries(
    [...served.client.children].map(([name, child]) => [name, child.clientClass]),
  );
  assert.equal(served.client.clientClass, "jumpstarter_driver_qemu.client.QemuClient");
  assert.equal(labels.flasher, "jumpstarter_driver_qemu.client.QemuFlasherClient");
  assert.equal(labels.power, "jumpstarter_driver_power.client.VirtualPowerClient");
  assert.ok(served.client.child("flasher", FlasherClient));
});
