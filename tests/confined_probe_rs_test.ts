/**
 * ProbeRs served by an exporter running under exactly the grants `jmp-exporter permissions`
 * prints: `j probe download` spools the firmware to a temporary file and runs the (emulated:
 * no probe-rs is packaged here) `probe-rs` CLI on it, which loads it into the target's memory.
 */
import assert from "node:assert/strict";
import { runConfined } from "./_permissions.ts";
import { ProbeRsEmulator } from "../drivers/probe-rs/_testing/probe_rs_emulator.ts";
import { tinyElf } from "../drivers/probe-rs/_testing/elf.ts";

Deno.test("ProbeRs serves under exactly the printed grants: the CLI and its spool directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-probe-rs-" });
  try {
    await using emulator = await ProbeRsEmulator.install();
    await emulator.update({ probe: "2e8a:000c:5798DE5E500ACB60", target: "RP2350" });
    const firmware = `${dir}/fw.elf`;
    await Deno.writeFile(
      firmware,
      tinyElf([{ address: 0x10000000, bytes: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]) }]),
    );
    await runConfined(
      dir,
      "  probe:\n    type: ProbeRs\n    config:\n" +
        `      { probe: "2e8a:000c", chip: RP2350, probe_rs_path: "${emulator.path}" }\n`,
      ["probe", "download", firmware],
      async () => {
        const { calls, memory } = await emulator.state();
        assert.deepEqual(calls.map((call) => call.args[0]), ["download"]);
        assert.equal(memory[(0x10000000).toString(16)], 1);
        assert.equal(memory[(0x10000004).toString(16)], 2);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
