/**
 * The command lines that reach a Qemu composite's children: the flasher CLI (ours) and the serial
 * CLI (`start-console`, `log`) on the console child, against real QEMU booting U-Boot.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Command } from "commander";
import { serve } from "@jumpstarter/lib/testing";
import { VirtualPowerClient } from "@jumpstarter/driver-power";
import { pyserialCli, PySerialClient } from "@jumpstarter/driver-serial";
import { Expect } from "@jumpstarter/lib/streams";
import { Qemu } from "./driver.ts";
import { FlasherClient, QemuClient } from "./client.ts";
import { flasherCli, flashPlan } from "./cli.ts";
import { interruptAutoboot, UBOOT_ARM64, ubootVm } from "./_testing/qemu.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { driverPackage as networkPackage } from "@jumpstarter/driver-network/package";

const PACKAGES = [driverPackage, powerPackage, serialPackage, networkPackage];

function quiet(command: Command): Command {
  for (const sub of [command, ...command.commands]) {
    sub.exitOverride().configureOutput({ writeErr: () => {} });
  }
  return command;
}

/** A stdout that keeps the text and tells when some text has arrived. */
function screen() {
  const decoder = new TextDecoder();
  let text = "";
  let waiting: { needle: string; resolve: () => void } | undefined;
  const check = () => {
    if (waiting && text.includes(waiting.needle)) {
      waiting.resolve();
      waiting = undefined;
    }
  };
  return {
    stdout: new WritableStream<Uint8Array>({
      write: (chunk) => {
        text += decoder.decode(chunk, { stream: true });
        check();
      },
    }),
    text: () => text,
    shows: (needle: string) =>
      new Promise<void>((resolve) => {
        waiting = { needle, resolve };
        check();
      }),
  };
}

Deno.test("flashPlan: FILE, FILE with --target NAME, and NAME:FILE pairs", () => {
  assert.deepEqual(flashPlan("disk.img", []), [[null, "disk.img"]]);
  assert.deepEqual(flashPlan("u-boot.bin", ["bios"]), [["bios", "u-boot.bin"]]);
  assert.deepEqual(flashPlan(undefined, ["bios:u-boot.bin", "root:/tmp/a:b.img"]), [
    ["bios", "u-boot.bin"],
    ["root", "/tmp/a:b.img"],
  ]);
  assert.throws(() => flashPlan(undefined, []), /nothing to flash/);
  assert.throws(() => flashPlan(undefined, ["bios"]), /names a target but no FILE/);
  assert.throws(() => flashPlan("x", ["a", "b"]), /only one --target NAME/);
  assert.throws(() => flashPlan(undefined, [":x"]), /expected --target NAME:FILE/);
});

Deno.test("j flasher flash/dump move images through the Qemu flasher, with progress", async () => {
  const driver = new Qemu(ubootVm({ "default_partitions": {} }));
  await using served = await serve(driver, QemuClient, { packages: PACKAGES });
  const flasher = served.client.child("flasher", FlasherClient);
  const labels: string[] = [];
  const context = {
    progress: (label: string) => {
      labels.push(label);
      return () => {};
    },
  };
  await quiet(flasherCli(flasher, "flasher", context)).parseAsync(
    ["flash", "--target", `bios:${UBOOT_ARM64}`],
    { from: "user" },
  );
  assert.deepEqual(
    await Deno.readFile(driver.machine.flashedPath("bios")),
    await Deno.readFile(UBOOT_ARM64),
  );
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "bios.bin");
    await quiet(flasherCli(flasher, "flasher", context)).parseAsync(
      ["dump", out, "--target", "bios"],
      { from: "user" },
    );
    assert.deepEqual(await Deno.readFile(out), await Deno.readFile(UBOOT_ARM64));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.deepEqual(labels, [`Flashing ${UBOOT_ARM64} to bios`, "Dumping bios"]);
  await assert.rejects(
    quiet(flasherCli(flasher, "flasher", context)).parseAsync(["flash", "--target", "bios"], {
      from: "user",
    }),
    /names a target but no FILE/,
  );
});

Deno.test("j console start-console and j console log work on the QEMU console", async () => {
  await using served = await serve(new Qemu(ubootVm()), QemuClient, { packages: PACKAGES });
  const power = served.client.child("power", VirtualPowerClient);
  const serial = served.client.child("console", PySerialClient);
  const io = { progress: () => () => {} };
  {
    await using console = new Expect(await serial.connect(), { timeout: 60 });
    await power.on();
    await interruptAutoboot(console);
  }
  // pipe mode: keystrokes from stdin, the guest's answer on stdout
  const out = screen();
  const stdin = new TransformStream<Uint8Array, Uint8Array>();
  const keys = stdin.writable.getWriter();
  const running = quiet(pyserialCli(serial, "console", io, {
    stdin: stdin.readable,
    stdout: out.stdout,
    isTerminal: false,
  })).parseAsync(["start-console", "--linger", "0.2"], { from: "user" });
  await keys.write(new TextEncoder().encode("version\r"));
  await out.shows("GNU ld");
  await keys.close();
  await running;
  assert.match(out.text(), /^version\r\nU-Boot 20\d\d\.\d\d/);

  const log = screen();
  await quiet(pyserialCli(serial, "console", io, { stdout: log.stdout })).parseAsync(["log"], {
    from: "user",
  });
  // everything since power on, including what came while no client was attached
  assert.match(
    log.text(),
    /^(\r\n)+U-Boot 20[^]*Hit any key to stop autoboot[^]*=> version\r\nU-Boot/,
  );
});
