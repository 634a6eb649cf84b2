/**
 * ProbeRs through a real session and the typed client, running the emulated probe-rs CLI: the
 * exact arguments and environment upstream runs probe-rs with, downloads landing in the
 * target's memory, reads parsed as upstream parses them, and failures as one line.
 */
import assert from "node:assert/strict";
import { eventually, serve } from "@jumpstarter/lib/testing";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { ProbeRs } from "./driver.ts";
import { ProbeRsClient } from "./client.ts";
import { type ProbeRsConfig, probeRsConfigSchema } from "./config.ts";
import { driverPackage } from "./package.ts";
import { ProbeRsEmulator } from "./_testing/probe_rs_emulator.ts";
import { tinyElf } from "./_testing/elf.ts";

const registry = clientRegistryOf([driverPackage]);

function serveProbe(config: Partial<ProbeRsConfig>) {
  return serve(new ProbeRs(probeRsConfigSchema.parse(config)), ProbeRsClient, { registry });
}

const FIRMWARE = tinyElf([
  { address: 0x10000000, bytes: new Uint8Array([0xef, 0xbe, 0xad, 0xde, 0xbe, 0xba, 0xfe, 0xca]) },
  { address: 0x20000100, bytes: new Uint8Array([0x11, 0x22, 0x33, 0x44]) },
]);

async function firmwareFile(): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".elf" });
  await Deno.writeFile(path, FIRMWARE);
  return path;
}

Deno.test("ProbeRs runs probe-rs with upstream's arguments and environment, nothing else", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await serveProbe({
    "probe_rs_path": emulator.path,
    probe: "2e8a:000c:E6614103",
    chip: "RP2040",
    protocol: "swd",
    "connect_under_reset": true,
    speed: 4000,
  });
  const probe = served.client;
  assert.match(await probe.info(), /^Probing target via SWD\n/);
  assert.equal(await probe.reset(), "");
  assert.match(await probe.erase(), /Erasing/);
  const file = await firmwareFile();
  try {
    assert.match(await probe.downloadFile(file), /Finished in/);
  } finally {
    await Deno.remove(file);
  }
  await probe.read(32, 0x10000000, 2);

  const { calls } = await emulator.state();
  const env = {
    "PROBE_RS_NON_INTERACTIVE": "true",
    "PROBE_RS_PROBE": "2e8a:000c:E6614103",
    "PROBE_RS_CHIP": "RP2040",
    "PROBE_RS_PROTOCOL": "swd",
    "PROBE_RS_CONNECT_UNDER_RESET": "true",
    "PROBE_RS_SPEED": "4000",
  };
  assert.deepEqual(calls.map((call) => call.env), Array(5).fill(env));
  const [info, reset, erase, download, read] = calls.map((call) => call.args);
  assert.deepEqual([info, reset, erase, read], [
    ["info"],
    ["reset"],
    ["erase"],
    ["read", "b32", "0x10000000", "2"],
  ]);
  assert.equal(download!.length, 2);
  assert.equal(download![0], "download");
  await assert.rejects(Deno.stat(download![1]!), Deno.errors.NotFound, "the spooled file was kept");
});

Deno.test("ProbeRs with no options passes only PROBE_RS_NON_INTERACTIVE", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await serveProbe({ "probe_rs_path": emulator.path });
  await served.client.info();
  assert.deepEqual((await emulator.state()).calls[0]?.env, { "PROBE_RS_NON_INTERACTIVE": "true" });
});

Deno.test("a download lands in the target's memory; read parses every width; erase clears it", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await serveProbe({ "probe_rs_path": emulator.path, chip: "RP2040" });
  const probe = served.client;
  await probe.download(ReadableStream.from([FIRMWARE.subarray(0, 10), FIRMWARE.subarray(10)]));
  assert.deepEqual(await probe.read(32, 0x10000000, 2), [0xdeadbeefn, 0xcafebaben]);
  assert.deepEqual(await probe.read(8, 0x20000100, 4), [0x11n, 0x22n, 0x33n, 0x44n]);
  assert.deepEqual(await probe.read(16, 0x20000100, 2), [0x2211n, 0x4433n]);
  assert.deepEqual(await probe.read(64, 0x10000000, 1), [0xcafebabedeadbeefn]);
  // as upstream: the driver answers probe-rs's words as strings, split on whitespace
  assert.deepEqual(await probe.call("read", "b32", "0x10000000", "2"), ["deadbeef", "cafebabe"]);
  await probe.erase();
  assert.deepEqual(await probe.read(32, 0x10000000, 1), [0xffffffffn]);
});

Deno.test("bad read arguments are refused by the client and by the driver", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await serveProbe({ "probe_rs_path": emulator.path });
  const probe = served.client;
  // deno-lint-ignore no-explicit-any
  await assert.rejects(probe.read(12 as any, 0, 1), {
    name: "InvalidArgumentError",
    message: "Width must be one of: 8, 16, 32, 64",
  });
  await assert.rejects(probe.read(32, -4, 1), { message: "Address must be non-negative" });
  await assert.rejects(probe.read(32, 0, 0), { message: "Words must be positive" });
  await assert.rejects(
    probe.call("read", "b12", "0x0", "1"),
    (error: unknown) =>
      error instanceof InvalidArgumentError && /width must be one of/.test(error.message),
  );
  assert.equal((await emulator.state()).calls.length, 0, "probe-rs ran for a refused call");
});

Deno.test("probe-rs failures come back as one line with its error; the exporter keeps serving", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await serveProbe({ "probe_rs_path": emulator.path });
  const probe = served.client;
  const file = await firmwareFile();
  try {
    await assert.rejects(probe.downloadFile(file), {
      name: "DriverError",
      message: "probe-rs download failed (exit status 1): A chip must be specified to flash it: " +
        "use --chip or PROBE_RS_CHIP",
    });
  } finally {
    await Deno.remove(file);
  }
  await using withChip = await serveProbe({ "probe_rs_path": emulator.path, chip: "RP2040" });
  await assert.rejects(withChip.client.download(ReadableStream.from([new Uint8Array(64)])), {
    message: "probe-rs download failed (exit status 1): Failed to flash the file " +
      "(caused by: The file is not a valid ELF file)",
  });
  await using missing = await serveProbe({ "probe_rs_path": "/nonexistent/probe-rs" });
  await assert.rejects(missing.client.info(), {
    message: "Cannot run probe-rs info: /nonexistent/probe-rs was not found " +
      "(set probe_rs_path to the probe-rs binary)",
  });
  assert.match(await probe.info(), /Probing target/);
});

Deno.test("the probe vanishing mid-download fails it in one line; once it is back, calls work", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await serveProbe({ "probe_rs_path": emulator.path, chip: "RP2040" });
  const probe = served.client;
  await emulator.update({ vanishDuringDownload: true });
  await assert.rejects(probe.download(ReadableStream.from([FIRMWARE])), (error: unknown) => {
    assert.ok(error instanceof DriverError, `got ${error}`);
    assert.equal(
      error.message,
      "probe-rs download failed (exit status 1): An error with the usage of the probe occurred " +
        "(caused by: USB device disconnected)",
    );
    return true;
  });
  await assert.rejects(probe.info(), {
    message: "probe-rs info failed (exit status 1): No connected probes were found.",
  });
  // half the first segment was written before the probe went away
  const { memory } = await emulator.state();
  assert.deepEqual(Object.keys(memory).sort(), ["10000000", "10000001", "10000002", "10000003"]);
  await emulator.update({ attached: true });
  await probe.download(ReadableStream.from([FIRMWARE]));
  assert.deepEqual(await probe.read(32, 0x10000004, 1), [0xcafebaben]);
});

Deno.test("closing the session kills a probe-rs that stopped answering, and the call fails", async () => {
  await using emulator = await ProbeRsEmulator.install();
  const served = await serveProbe({ "probe_rs_path": emulator.path, chip: "RP2040" });
  await emulator.update({ hang: true });
  const erasing = served.client.erase();
  erasing.catch(() => {});
  const { pid } = await eventually("the hung probe-rs to start", async () => {
    const state = await emulator.state();
    return state.calls.length === 1 && !state.hang ? state : undefined;
  });
  assert.ok(pid !== undefined && alive(pid), "the hung probe-rs is not running");
  await served.close();
  await assert.rejects(erasing);
  assert.ok(!alive(pid), `probe-rs ${pid} outlived its session`);
});

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \([^)]*\) Z/.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}
