/**
 * The whole program: `jmp shell` serves upstream's README config (only `probe_rs_path` pointed
 * at the emulated probe-rs) and the real `j` flashes and reads the target from inside it.
 */
import assert from "node:assert/strict";
import { withDeadline } from "@jumpstarter/lib/testing";
import { ProbeRsEmulator } from "./_testing/probe_rs_emulator.ts";
import { tinyElf } from "./_testing/elf.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const README_CONFIG = new URL(
  "../../tests/testdata/upstream_configs/driver-probe-rs.yaml",
  import.meta.url,
);

Deno.test(
  "jmp shell on upstream's README config: j probe info, download, reset and read",
  withDeadline(120_000, async () => {
    await using emulator = await ProbeRsEmulator.install();
    // the bench upstream's README describes: that probe, wired to an RP2350
    await emulator.update({ probe: "2e8a:000c:5798DE5E500ACB60", target: "RP2350" });
    const readme = await Deno.readTextFile(README_CONFIG);
    const config = `${emulator.folder}/exporter.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n" +
        readme.replace("/home/majopela/.cargo/bin/probe-rs", emulator.path),
    );
    const firmware = `${emulator.folder}/fw.elf`;
    await Deno.writeFile(
      firmware,
      tinyElf([{ address: 0x10000000, bytes: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]) }]),
    );
    const script = 'j probe info && j probe download "$FW" && j probe reset && ' +
      "j probe read 32 0x10000000 2";
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--config",
        `${ROOT}deno.json`,
        `${ROOT}cli/main.ts`,
        "shell",
        "--exporter-config",
        config,
        "--",
        "sh",
        "-c",
        script,
      ],
      env: { FW: firmware },
      stdin: "null",
      signal: AbortSignal.timeout(110_000),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `jmp shell exited ${output.code}: ${stderr}`);
    assert.match(stdout, /^Probing target via SWD\n[^]*Designer: RP2350/);
    assert.match(stdout, /Finished in/);
    assert.ok(stdout.endsWith("00000001 00000002\n"), stdout);
    const { calls } = await emulator.state();
    assert.deepEqual(calls.map((call) => call.args[0]), ["info", "download", "reset", "read"]);
    assert.deepEqual(calls[0]?.env, {
      "PROBE_RS_NON_INTERACTIVE": "true",
      "PROBE_RS_PROBE": "2e8a:000c:5798DE5E500ACB60",
      "PROBE_RS_CHIP": "RP2350",
      "PROBE_RS_PROTOCOL": "swd",
      "PROBE_RS_SPEED": "4000",
    });
  }),
);
