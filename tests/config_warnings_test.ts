/**
 * Keys upstream accepts that mean nothing here are accepted, and `jmp` says so once per key,
 * naming file, line and key: run for real with `jmp shell --exporter-config ... -- j power on`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const JMP = fileURLToPath(new URL("../bin/jmp", import.meta.url));

Deno.test("jmp shell serves a config with upstream-only keys and warns once per key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/lab.yaml`;
    await Deno.writeTextFile(
      path,
      `export:
  power:
    type: MockPower
    confg: {}
    config:
      log_level: ERROR
  vm:
    type: jumpstarter_driver_qemu.driver.Qemu
    config:
      arch: aarch64
      flash_timeout: 60
  spare:
    type: MockPower
    config:
`,
    );
    const { code, stderr } = await new Deno.Command(JMP, {
      args: ["shell", "--exporter-config", path, "--", "j", "power", "on"],
      stdin: "null",
      stdout: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 0, text);
    const warnings = text.split("\n").filter((line) => line.startsWith("Warning: "));
    assert.deepEqual(warnings, [
      `Warning: ${path}:4:5: Ignoring unknown key "confg" (upstream ignores it too) at ` +
      "export.power.confg",
      `Warning: ${path}:11:7: Ignoring "flash_timeout" (it limits OCI flashing with fls, which is` +
      " not supported here) at export.vm.config.flash_timeout",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
