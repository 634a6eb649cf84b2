/**
 * `j` itself (bin/j, a separate process) against an exporter whose ProbeRs runs the emulated
 * probe-rs: upstream's commands and output, and failures (bad arguments, the probe vanishing
 * mid-download) as one line on stderr with a failing exit status while the exporter keeps serving.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { serve } from "@jumpstarter/lib/testing";
import { CompositeClient } from "@jumpstarter/lib/client";
import { compositeType } from "@jumpstarter/lib/driver";
import { ProbeRs } from "./driver.ts";
import { probeRsConfigSchema } from "./config.ts";
import { driverPackage } from "./package.ts";
import { ProbeRsEmulator } from "./_testing/probe_rs_emulator.ts";
import { tinyElf } from "./_testing/elf.ts";

const J = fileURLToPath(new URL("../../bin/j", import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function j(host: string, ...args: string[]): Promise<Ran> {
  const { code, stdout, stderr } = await new Deno.Command(J, {
    args,
    env: { JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" },
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

function assertOneLineError(ran: Ran, pattern: RegExp): void {
  assert.notEqual(ran.code, 0, `exited 0; stdout: ${ran.stdout}`);
  const lines = ran.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `stderr is not one line:\n${ran.stderr}`);
  assert.match(lines[0]!, pattern);
}

async function lab(emulator: ProbeRsEmulator) {
  const root = compositeType.create({}, {});
  const config = probeRsConfigSchema.parse({ "probe_rs_path": emulator.path, chip: "RP2040" });
  root.addChild("probe", new ProbeRs(config));
  return await serve(root, CompositeClient, { packages: [driverPackage] });
}

Deno.test("j probe info/download/read/reset print as upstream's commands", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await lab(emulator);
  const host = served.address;
  const firmware = await Deno.makeTempFile({ suffix: ".elf" });
  try {
    await Deno.writeFile(
      firmware,
      tinyElf([{
        address: 0x10000000,
        bytes: new Uint8Array([0xef, 0xbe, 0xad, 0xde, 1, 2, 3, 4]),
      }]),
    );
    const info = await j(host, "probe", "info");
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^Probing target via SWD\n[^]*\n\n$/, "print() adds a newline");
    const downloaded = await j(host, "probe", "download", firmware);
    assert.match(downloaded.stdout, /Finished in/);
    assert.deepEqual(await j(host, "probe", "read", "32", "0x10000000", "2"), {
      code: 0,
      stdout: "deadbeef 04030201\n",
      stderr: "",
    });
    assert.equal((await j(host, "probe", "read", "8", "268435456", "3")).stdout, "ef be ad\n");
    assert.deepEqual(await j(host, "probe", "reset"), { code: 0, stdout: "\n", stderr: "" });
  } finally {
    await Deno.remove(firmware);
  }
  assertOneLineError(await j(host, "probe", "read", "12", "0", "1"), /expected 8, 16, 32 or 64/);
  assertOneLineError(
    await j(host, "probe", "download", "/nonexistent/fw.elf"),
    /Cannot download \/nonexistent\/fw\.elf: .*No such file/,
  );
});

Deno.test("j probe download when the probe vanishes mid-way: one line, exit 1; then it serves again", async () => {
  await using emulator = await ProbeRsEmulator.install();
  await using served = await lab(emulator);
  const host = served.address;
  const firmware = await Deno.makeTempFile({ suffix: ".elf" });
  try {
    await Deno.writeFile(firmware, tinyElf([{ address: 0x10000000, bytes: new Uint8Array(64) }]));
    await emulator.update({ vanishDuringDownload: true });
    assertOneLineError(
      await j(host, "probe", "download", firmware),
      /^Error: probe-rs download failed \(exit status 1\): An error with the usage of the probe occurred \(caused by: USB device disconnected\)$/,
    );
  } finally {
    await Deno.remove(firmware);
  }
  assertOneLineError(await j(host, "probe", "info"), /No connected probes were found\.$/);
  await emulator.update({ attached: true });
  assert.equal((await j(host, "probe", "info")).code, 0);
});
