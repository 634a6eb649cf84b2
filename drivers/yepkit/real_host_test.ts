/**
 * On this machine's real USB stack (npm `usb`; no hub is attached, and CI machines have no USB
 * bus at all): an exporter serving a Ykush next to other drivers starts, the other drivers work,
 * and the Ykush's calls fail in one line naming the driver and why.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const JMP = fileURLToPath(new URL("../../bin/jmp", import.meta.url));

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  hub:
    type: jumpstarter_driver_yepkit.driver.Ykush
    config:
      port: "1"
  mock:
    type: jumpstarter_driver_power.driver.MockPower
`;

Deno.test("without a hub (or a USB bus), the exporter still serves its other drivers; the Ykush says why in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-ykush-real-" });
  try {
    await Deno.writeTextFile(`${dir}/lab.yaml`, CONFIG);
    const { code, stdout, stderr } = await new Deno.Command(JMP, {
      args: [
        "shell",
        "--exporter-config",
        `${dir}/lab.yaml`,
        "--",
        "sh",
        "-c",
        'j mock on; echo "mock=$?"; j hub on; echo "hub=$?"',
      ],
      stdin: "null",
      signal: AbortSignal.timeout(90_000),
    }).output();
    const text = new TextDecoder();
    const out = text.decode(stdout);
    const err = text.decode(stderr).trim();
    assert.equal(code, 0, `jmp shell exited ${code}: ${err}`);
    assert.equal(out, "mock=0\nhub=1\n");
    assert.match(
      err,
      /^Error: ykush: port 1 on failed: (cannot list USB devices: .*|failed to find ykush device \(USB 0x04d8:0xf2f7\))$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
