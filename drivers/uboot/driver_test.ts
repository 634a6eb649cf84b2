/**
 * UbootConsole against real U-Boot (Debian's qemu_arm64 build) in real QEMU under TCG, wired as
 * in examples/qemu-uboot.yaml (power and serial are refs to the Qemu composite's children).
 */
import assert from "node:assert/strict";
import { loadExporterConfig } from "@jumpstarter/lib/config";
import { Composite, driverRegistryOf } from "@jumpstarter/lib/driver";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { CompositeClient } from "@jumpstarter/lib/client";
import { eventually, serve } from "@jumpstarter/lib/testing";
import { DriverError, DriverTimeoutError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { VirtualPowerClient } from "@jumpstarter/driver-power";
import { Qemu } from "@jumpstarter/driver-qemu/driver";
import { qemuConfig } from "../qemu/config.ts";
import { UbootConsole } from "./driver.ts";
import { UbootConsoleClient } from "./client.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as qemuPackage } from "@jumpstarter/driver-qemu/package";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";

const PACKAGES = [driverPackage, qemuPackage, powerPackage, serialPackage, opendalPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const EXAMPLE = new URL("../../examples/qemu-uboot.yaml", import.meta.url).pathname;

async function pidAlive(pid: number): Promise<boolean> {
  const { success } = await new Deno.Command("sh", {
    args: ["-c", 'kill -0 "$1"', "sh", String(pid)],
    stdout: "null",
    stderr: "null",
  }).output();
  return success;
}

/** The example exporter config's driver tree, served. */
async function serveExample() {
  const root = await buildDriverTree(await loadExporterConfig(EXAMPLE), {
    registry: driverRegistry,
  });
  const qemu = root.children.get("qemu") as Qemu;
  const served = await serve(root, CompositeClient, { packages: PACKAGES });
  return {
    qemu,
    served,
    uboot: served.client.child("uboot", UbootConsoleClient),
    [Symbol.asyncDispose]: () => served.close(),
  };
}

Deno.test("UbootConsole on QEMU + U-Boot: console, version, env round trip, DHCP, power off", async () => {
  const example = await serveExample();
  const { uboot, qemu } = example;
  let pid: number | undefined;
  try {
    assert.equal(await uboot.getPrompt(), "=>");
    // the refs show up as the uboot driver's children, as upstream
    const power = uboot.child("power", VirtualPowerClient);
    assert.equal(
      uboot.children.get("serial")?.clientClass,
      "jumpstarter_driver_pyserial.client.PySerialClient",
    );

    await uboot.rebootToConsole();
    pid = qemu.machine.pid;
    assert.ok(pid !== undefined && await pidAlive(pid));
    // the prompt's last byte may reach the log just after rebootToConsole() saw the prompt
    const bootLog = /Hit any key to stop autoboot[^]*\n=> $/;
    let logged = "";
    await eventually("the whole boot up to the prompt in the console log", async () => {
      logged = await qemu.console.logText();
      return bootLog.test(logged);
    }, { describe: () => logged });
    assert.match(logged, bootLog);

    const version = await uboot.runCommand("version");
    assert.match(version, /^U-Boot 20\d\d\.\d\d/);
    assert.match(version, /\nGNU ld /);
    assert.ok(!version.includes("=>"), "the prompt is stripped");
    assert.ok(!version.startsWith("version"), "the echo is stripped");

    const checked = await uboot.runCommandChecked("version");
    assert.match(checked[0]!, /^U-Boot 20\d\d\.\d\d/);
    await assert.rejects(
      uboot.runCommandChecked("false"),
      (error: Error) => error instanceof DriverError && /failed with status 1/.test(error.message),
    );
    assert.deepEqual(await uboot.runCommandChecked("false", { check: false }), []);

    assert.ok((await uboot.getEnv("bootcmd"))!.length > 0);
    assert.equal(await uboot.getEnv("jumpstarter_nothing"), null);
    const tricky = `it's "$bootcmd" a\\b; echo  two  spaces`;
    await uboot.setEnv("js_test", tricky);
    assert.equal(await uboot.getEnv("js_test"), tricky);
    await uboot.setEnvDict({ "js_a": "1", "js_test": null });
    assert.equal(await uboot.getEnv("js_a"), "1");
    assert.equal(await uboot.getEnv("js_test"), null);
    await assert.rejects(uboot.setEnv("bad name", "x"), InvalidArgumentError);
    await assert.rejects(uboot.setEnv("js_b", "two\nlines"), /cannot contain line breaks/);

    const autoload = await uboot.getEnv("autoload");
    const dhcp = await uboot.setupDhcp();
    assert.deepEqual(dhcp, {
      "ip_address": "10.0.2.15",
      gateway: "10.0.2.2",
      netmask: "255.255.255.0",
      cidr: "24",
      "server_ip": "10.0.2.2",
    });
    assert.equal(await uboot.getEnv("autoload"), autoload, "autoload is restored");

    await power.off();
    assert.equal(qemu.machine.lastStop, "quit", "QEMU was stopped through QMP");
    assert.equal(await pidAlive(pid!), false, `QEMU pid ${pid} survived power off`);
    await assert.rejects(
      uboot.runCommand("version"),
      (error: Error) =>
        error instanceof DriverTimeoutError && /call reboot_to_console first/.test(error.message),
    );
  } finally {
    await example[Symbol.asyncDispose]();
  }
  if (pid !== undefined) assert.equal(await pidAlive(pid), false);
});

Deno.test("UbootConsole: closing the session leaves no QEMU behind", async () => {
  const example = await serveExample();
  await example.uboot.rebootToConsole();
  const pid = example.qemu.machine.pid!;
  assert.ok(await pidAlive(pid));
  await example[Symbol.asyncDispose]();
  assert.equal(await pidAlive(pid), false, `QEMU pid ${pid} survived the session`);
});

Deno.test("UbootConsole: a command that outlasts its timeout is a timeout with the output tail", async () => {
  await using example = await serveExample();
  await example.uboot.rebootToConsole();
  await assert.rejects(
    example.uboot.runCommand("echo started; sleep 5", { timeout: 0.5 }),
    (error: Error) =>
      error instanceof DriverTimeoutError && /finish "echo started; sleep 5"/.test(error.message) &&
      /started/.test(error.message),
  );
  // Ctrl-C at the next command interrupts the sleep: the console is usable again
  assert.equal(await example.uboot.runCommand("echo back"), "back");
});

Deno.test("UbootConsole without its children says which one is missing", async () => {
  const root = new Composite();
  const qemu = new Qemu(qemuConfig({ arch: "aarch64" }));
  const uboot = new UbootConsole({ powerCycleWait: 0 });
  uboot.addChild("power", qemu.power);
  root.addChild("qemu", qemu);
  root.addChild("uboot", uboot);
  await using served = await serve(root, CompositeClient, { packages: PACKAGES });
  const client = served.client.child("uboot", UbootConsoleClient);
  await assert.rejects(
    client.runCommand("version"),
    (error: Error) =>
      error instanceof DriverError && /needs a child named "serial"/.test(error.message),
  );
});
