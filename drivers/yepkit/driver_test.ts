/**
 * Ykush through a real session against the emulated hub (`_testing/`): upstream's example config
 * loads unchanged and its drivers share one hub, the typed client sends upstream's reports, our
 * `j` and upstream's `j` switch ports, a bad port is a config error naming the field, and an
 * unplugged hub fails calls in one line while the exporter keeps serving.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { DriverError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { EmulatedUsbBus } from "../../lib/usb/_testing/usb_device_emulator.ts";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { yepkitPackageFor } from "./package.ts";
import { YkushEmulator } from "./_testing/ykush_emulator.ts";

const UPSTREAM_EXAMPLE = fileURLToPath(new URL("testdata/upstream_exporter.yaml", import.meta.url));
const J = fileURLToPath(new URL("../../bin/j", import.meta.url));

async function servedExample(hub: YkushEmulator) {
  const packages = [yepkitPackageFor(new EmulatedUsbBus(hub)), powerPackage];
  const config = parseExporterConfig(await Deno.readTextFile(UPSTREAM_EXAMPLE), UPSTREAM_EXAMPLE);
  const root = await buildDriverTree(config, { registry: driverRegistryOf(packages) });
  return await serve(root, undefined, { registry: clientRegistryOf(packages) });
}

async function run(program: string, args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args,
    env: { ...env, JMP_DRIVERS_ALLOW: "UNSAFE" },
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("upstream's example config loads unchanged: four drivers share the hub, each session starts with its ports off", async () => {
  const hub = new YkushEmulator("YK25838");
  await using served = await servedExample(hub);
  assert.deepEqual([...served.client.children.keys()], ["power", "power2", "power3", "all"]);
  // reset() applied `default: off` to port 1, 2, 3 and all, through one open of the hub
  assert.deepEqual(hub.commands, [0x01, 0x02, 0x03, 0x0a]);
  assert.deepEqual(hub.ports, [false, false, false]);
  assert.equal(hub.opens, 1);
});

Deno.test("on/off/cycle send upstream's 64-byte reports and read the 64-byte answer", async () => {
  const hub = new YkushEmulator("YK25838");
  await using served = await servedExample(hub);
  hub.transcript.length = 0;
  const power2 = served.client.child("power2", PowerClient);
  await power2.on();
  assert.deepEqual(hub.ports, [false, true, false]);
  const report = new Array(64).fill(0);
  report[0] = 0x12;
  assert.deepEqual(hub.transcript, [
    { kind: "out", endpoint: 1, data: report },
    { kind: "in", endpoint: 1, length: 64 },
  ]);
  await served.client.child("all", PowerClient).cycle({ wait: 0 });
  assert.deepEqual(hub.commands.slice(-2), [0x0a, 0x1a]);
  assert.deepEqual(hub.ports, [true, true, true]);
  await served.client.child("power3", PowerClient).off();
  assert.deepEqual(hub.ports, [true, true, false]);
  await assert.rejects(
    async () => {
      for await (const _ of power2.read()) { /* nothing comes */ }
    },
    (error: Error) =>
      error instanceof MethodNotImplementedError && /does not support read/.test(error.message),
  );
});

Deno.test("our j and upstream's j switch the hub's ports", async () => {
  const hub = new YkushEmulator("YK25838");
  await using served = await servedExample(hub);
  const ours = await run(J, ["power", "on"], { JUMPSTARTER_HOST: served.address });
  assert.equal(ours.code, 0, `j power on: ${ours.stderr}`);
  assert.deepEqual(hub.ports, [true, false, false]);
  const help = await run(J, ["--help"], { JUMPSTARTER_HOST: served.address });
  assert.match(help.stdout, /power2/);

  const peer = upstreamPeer("head");
  const theirs = await run(peer.j, ["power3", "on"], {
    ...peer.env,
    JUMPSTARTER_HOST: served.address,
  });
  assert.equal(theirs.code, 0, `upstream j power3 on: ${theirs.stderr}`);
  assert.deepEqual(hub.ports, [true, false, true]);
  const cycled = await run(peer.j, ["all", "cycle", "--wait", "0"], {
    ...peer.env,
    JUMPSTARTER_HOST: served.address,
  });
  assert.equal(cycled.code, 0, `upstream j all cycle: ${cycled.stderr}`);
  assert.deepEqual(hub.commands.slice(-2), [0x0a, 0x1a]);
});

Deno.test("a port upstream does not know is a config error naming the field", async () => {
  const packages = [yepkitPackageFor(new EmulatedUsbBus()), powerPackage];
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  power:
    type: jumpstarter_driver_yepkit.driver.Ykush
    config:
      port: "4"
`;
  await assert.rejects(
    buildDriverTree(parseExporterConfig(yaml, "lab.yaml"), {
      registry: driverRegistryOf(packages),
    }),
    /lab\.yaml:7:\d+: .*The ykush driver port must be any of the following values: 1, 2, 3, all at export\.power\.config\.port$/,
  );
});

Deno.test("an unplugged hub fails calls in one line, the exporter keeps serving, and the hub is used again when back", async () => {
  const hub = new YkushEmulator("YK25838");
  await using served = await servedExample(hub);
  const power = served.client.child("power", PowerClient);
  await power.on();
  hub.unplug();
  await assert.rejects(
    power.off(),
    (error: Error) =>
      error instanceof DriverError &&
      error.message ===
        "ykush YK25838: port 1 off failed (device disconnected): write to endpoint 1: LIBUSB_ERROR_NO_DEVICE",
  );
  await assert.rejects(
    served.client.child("power2", PowerClient).on(),
    /^DriverError: ykush YK25838: port 2 on failed: failed to find ykush device \(USB 0x04d8:0xf2f7\)$/m,
  );
  hub.plug();
  await power.off();
  assert.deepEqual(hub.ports, [false, false, false]);
  assert.equal(hub.opens, 2);
});

Deno.test("a hub pulled out between a command and its answer fails that call in one line", async () => {
  const hub = new YkushEmulator("YK25838");
  await using served = await servedExample(hub);
  hub.unplugBeforeAnswer = true;
  await assert.rejects(
    served.client.child("power3", PowerClient).on(),
    (error: Error) =>
      error instanceof DriverError &&
      error.message ===
        "ykush YK25838: port 3 on failed (device disconnected): read from endpoint 1: LIBUSB_ERROR_NO_DEVICE",
  );
  assert.equal(hub.commands.at(-1), 0x13);
  hub.plug();
  await served.client.child("power3", PowerClient).on();
  assert.deepEqual(hub.ports, [false, false, true]);
});
