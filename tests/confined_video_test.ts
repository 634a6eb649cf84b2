/**
 * HttpVideo served by an exporter running under exactly the grants `jmp-exporter permissions`
 * prints: the net grant names the camera's host and port only, and `j camera snapshot` saves a
 * frame from the emulated MJPEG camera (no camera is available) through it.
 */
import assert from "node:assert/strict";
import { runConfined } from "./_permissions.ts";
import { startMjpegCameraEmulator } from "../drivers/video/_testing/mjpeg_camera_emulator.ts";

// a JPEG's start and end markers around a few bytes: what the camera sends as one frame
const FRAME = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

Deno.test("HttpVideo serves under exactly the printed grants: net to the camera only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-video-" });
  try {
    await using camera = startMjpegCameraEmulator(FRAME);
    const output = `${dir}/frame.jpg`;
    const { netGrant } = await runConfined(
      dir,
      `  camera:\n    type: HttpVideo\n    config: { url: "${camera.url}/stream" }\n`,
      ["camera", "snapshot", "-o", output],
      async () => assert.deepEqual(await Deno.readFile(output), FRAME),
    );
    assert.deepEqual(netGrant, [new URL(camera.url).host]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
