/**
 * The real `j` inside `jmp shell` on an exporter config with upstream's UStreamer class path,
 * running the real ustreamer: `j ustreamer state` prints its state as upstream's, `snapshot -o`
 * saves the no-signal frame, and `stream` on a port in use fails in one line.
 */
import assert from "node:assert/strict";
import { withDeadline } from "@jumpstarter/lib/testing";
import { ImageHash } from "@jumpstarter/imagehash";

const ROOT = new URL("../../", import.meta.url).pathname;
const NO_SIGNAL = new URL("./testdata/no_signal.jpeg", import.meta.url).pathname;

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  ustreamer:
    type: jumpstarter_driver_ustreamer.driver.UStreamer
    config:
      args:
        resolution: 640x480
`;

async function jmpShell(dir: string, script: string) {
  await Deno.writeTextFile(`${dir}/exporter.yaml`, CONFIG);
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
      `${dir}/exporter.yaml`,
      "--",
      "sh",
      "-c",
      script,
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(110_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test(
  "j ustreamer state, snapshot and stream through jmp shell",
  withDeadline(120_000, async () => {
    const dir = await Deno.makeTempDir();
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const result = await jmpShell(
        dir,
        `j ustreamer state && j ustreamer snapshot -o frame.jpeg && ` +
          `j ustreamer stream --port ${busy.addr.port} --no-browser; echo "stream exit $?"`,
      );
      assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
      assert.equal(
        result.stdout,
        "Online:     False\nResolution: 640x480\nFPS:        0/0\nEncoder:    CPU (quality: 80)\n" +
          "Saved snapshot to frame.jpeg\nstream exit 1\n",
      );
      assert.match(
        result.stderr,
        new RegExp(
          `^Error: Cannot listen on 127\\.0\\.0\\.1:${busy.addr.port}: the port is in use\\n$`,
        ),
      );
      const saved = await Deno.readFile(`${dir}/frame.jpeg`);
      const file = { name: "frame.jpeg", snapshot: () => Promise.resolve(saved) };
      await new ImageHash(file).assertSnapshot(NO_SIGNAL);
    } finally {
      busy.close();
      await Deno.remove(dir, { recursive: true });
    }
  }),
);
