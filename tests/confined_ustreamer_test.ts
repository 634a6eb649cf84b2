/**
 * UStreamer served by an exporter running under exactly the grants `jmp-exporter permissions`
 * prints, running the real Debian `ustreamer` (no camera: it serves its "no signal" frame): the
 * grants name the executable and ustreamer's socket in the driver's runtime directory, nothing is
 * written outside the socket directory, and `j ustreamer state|snapshot` work through them. An
 * exporter killed with SIGKILL leaves ustreamer and its socket behind; the next one with that
 * socket directory clears the socket (ustreamer refuses to bind over it) and serves again.
 */
import assert from "node:assert/strict";
import { ImageHash } from "@jumpstarter/imagehash";
import { findExecutable } from "../drivers/ustreamer/executable.ts";
import { granted, printedPermissions, startConfined, writeLab } from "./_permissions.ts";

const NO_SIGNAL = new URL("../drivers/ustreamer/testdata/no_signal.jpeg", import.meta.url).pathname;
const STATE = "Online:     False\nResolution: 640x480\nFPS:        0/0\n" +
  "Encoder:    CPU (quality: 80)\n";

Deno.test("UStreamer serves under exactly the printed grants, and again after a SIGKILL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-ustreamer-" });
  try {
    const config = await writeLab(
      dir,
      "  camera:\n    type: jumpstarter_driver_ustreamer.driver.UStreamer\n" +
        "    config: { args: { resolution: 640x480 } }\n",
    );
    const socketDir = `${dir}/run`;
    const socket = `${socketDir}/drivers/camera/socket`;
    const printed = await printedPermissions(config, ["--socket-dir", socketDir]);
    const executable = findExecutable("ustreamer");
    assert.deepEqual(granted(printed, "write"), [socketDir]);
    assert.deepEqual(granted(printed, "read").sort(), [config, executable, socketDir].sort());
    assert.deepEqual(granted(printed, "run"), [executable]);
    const slot = new RegExp(`^unix:${socketDir}/\\d+/socket(\\.fast)?$`);
    // the socket, and the reserved host name its requests carry (which reaches nothing else)
    assert.deepEqual(granted(printed, "net").filter((grant) => !slot.test(grant)), [
      `unix:${socket}`,
      "ustreamer.invalid:80",
    ]);

    const killed = await startConfined(config, printed);
    try {
      assert.equal((await killed.j(["camera", "state"])).stdout, STATE);
      const frame = `${dir}/frame.jpeg`;
      await killed.j(["camera", "snapshot", "-o", frame]);
      const saved = await Deno.readFile(frame);
      const camera = { name: "frame.jpeg", snapshot: () => Promise.resolve(saved) };
      await new ImageHash(camera).assertSnapshot(NO_SIGNAL);

      // killed at once: its ustreamer goes on serving on the socket it leaves behind
      killed.exporter.process.kill("SIGKILL");
      await killed.exporter.process.status;
      assert.ok((await Deno.lstat(socket)).isSocket, `no socket left at ${socket}`);
      await using next = await startConfined(config, printed);
      assert.equal((await next.j(["camera", "state"])).stdout, STATE);
      await next.exporter.stop("SIGTERM");
      await assert.rejects(Deno.lstat(socket), Deno.errors.NotFound);
    } finally {
      await killed[Symbol.asyncDispose](); // its process group: the orphaned ustreamer too
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
