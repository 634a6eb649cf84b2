/**
 * Our exporter on aarch64: Deno's arm64 build, emulated on this x86_64 host (`tests/_aarch64.ts`),
 * serves a config in direct mode and an x86 client drives it: `j power` through `jmp shell`, a
 * byte-exact echo stream through the client library, and `j storage flash` of an xz image (which
 * the exporter decompresses with the arm64 `@napi-rs/lzma`). The native addons load on arm64.
 * Skipped, saying why, only where `tools/aarch64_sysroot.sh` has not prepared the emulated deno.
 */
import assert from "node:assert/strict";
import { fileDeadline, randomBytes, sha256Hex } from "@jumpstarter/lib/testing";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { NetworkClient } from "@jumpstarter/driver-network";
import { DRIVER_PACKAGES } from "../cli/driver_packages.ts";

import { freePort } from "./_distributed.ts";
import {
  assertExit,
  assertOutput,
  DENO_CONFIG,
  describe,
  jmp,
  jmpArgs,
  run,
  spawnProgram,
  tempDir,
} from "./_helpers.ts";
import { aarch64Deno } from "./_aarch64.ts";

// the emulated deno starts our CLI in 20-50 s on this host
fileDeadline(import.meta.url, 600_000);

const EMULATED = aarch64Deno();
const START_MS = 300_000;
const COMMAND_MS = 120_000;
const ECHO_BYTES = 4 << 20;
const ADDONS = new URL("./_aarch64_addons.ts", import.meta.url).pathname;

if ("missing" in EMULATED) console.warn(`aarch64 tests skipped: ${EMULATED.missing}`);

function labConfig(disk: string): string {
  return [
    "apiVersion: jumpstarter.dev/v1alpha1",
    "kind: ExporterConfig",
    "metadata: {namespace: default, name: aarch64-lab}",
    "export:",
    "  power:",
    "    type: jumpstarter_driver_power.driver.MockPower",
    "  echo:",
    "    type: jumpstarter_driver_network.driver.EchoNetwork",
    "  storage:",
    "    type: jumpstarter_driver_opendal.driver.MockStorageMuxFlasher",
    `    config: {path: '${disk}'}`,
    "",
  ].join("\n");
}

async function echoed(address: string, payload: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  await using handle = await openExporter(address, {
    insecure: true,
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf(DRIVER_PACKAGES),
  });
  const stream = await handle.root.child("echo", NetworkClient).connect();
  const writing = (async () => {
    const writer = stream.writable.getWriter();
    for (let at = 0; at < payload.length; at += 64 << 10) {
      await writer.write(payload.subarray(at, at + (64 << 10)));
    }
    await writer.close();
  })();
  const received = new Uint8Array(await new Response(stream.readable).arrayBuffer());
  await writing;
  return received;
}

Deno.test({
  name: "aarch64 (emulated): the native addons we ship load on arm64",
  ignore: "missing" in EMULATED,
  async fn() {
    const path = (EMULATED as { path: string }).path;
    const result = await run(path, ["run", "-A", "--quiet", "--config", DENO_CONFIG, ADDONS], {
      timeoutMs: START_MS,
    });
    assertExit(result, 0);
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(report, {
      arch: "aarch64",
      addons: { "@napi-rs/lzma": "loaded", usb: "loaded", serialport: "loaded" },
    }, describe(result));
  },
});

Deno.test({
  name: "aarch64 (emulated): our exporter serves j power, a byte-exact echo and an xz flash to x86",
  ignore: "missing" in EMULATED,
  async fn() {
    const path = (EMULATED as { path: string }).path;
    await using dir = await tempDir();
    const disk = `${dir.path}/disk.img`;
    const config = `${dir.path}/lab.yaml`;
    await Deno.writeTextFile(config, labConfig(disk));
    const listen = `127.0.0.1:${freePort()}`;
    const started = performance.now();
    await using exporter = spawnProgram(
      path,
      jmpArgs([
        "run",
        "--exporter-config",
        config,
        "--tls-grpc-listener",
        listen,
        "--tls-grpc-insecure",
      ]),
      { timeoutMs: START_MS },
    );
    const address = await exporter.firstLine;
    console.log(
      `aarch64 exporter serving after ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const shell = (command: string[]) =>
      jmp(["shell", "--tls-grpc", address, "--tls-grpc-insecure", "--", ...command], {
        timeoutMs: COMMAND_MS,
      });
    assertExit(await shell(["j", "power", "on"]), 0);
    const read = await shell(["j", "power", "read"]);
    assertExit(read, 0);
    assertOutput(read, "stdout", "voltage=5.0 V");

    const payload = randomBytes(ECHO_BYTES);
    const echoStarted = performance.now();
    const back = await echoed(address, payload);
    const seconds = (performance.now() - echoStarted) / 1000;
    assert.equal(back.length, payload.length, "echoed byte count");
    assert.equal(await sha256Hex(back), await sha256Hex(payload), "echoed bytes");
    console.log(`aarch64 echo: ${ECHO_BYTES >> 20} MiB in ${seconds.toFixed(1)} s`);

    const raw = randomBytes(1 << 20);
    const image = `${dir.path}/image.raw`;
    await Deno.writeFile(image, raw);
    const xz = await new Deno.Command("xz", { args: ["-1", image] }).output();
    assert.ok(xz.success, new TextDecoder().decode(xz.stderr));
    const flash = await shell(["j", "storage", "flash", `${image}.xz`]);
    assertExit(flash, 0);
    assert.equal(await sha256Hex(await Deno.readFile(disk)), await sha256Hex(raw), "flashed disk");
  },
});
