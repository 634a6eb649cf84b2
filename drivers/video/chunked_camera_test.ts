/**
 * A camera whose HTTP server chunks its MJPEG and whose parts have no Content-Length (as the
 * ESP-IDF server does): snapshots and the stream through the client get whole, unchanged frames.
 */
import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import { HttpVideo } from "./driver.ts";
import { VideoClient } from "./client.ts";
import { startMjpegCameraEmulator } from "./_testing/mjpeg_camera_emulator.ts";

const FRAME = await Deno.readFile(
  new URL("../ustreamer/testdata/no_signal.jpeg", import.meta.url),
);

Deno.test("frames of a chunked MJPEG stream without part lengths arrive whole", async () => {
  await using camera = startMjpegCameraEmulator(FRAME, 3);
  await using served = await serve(new HttpVideo({ url: `${camera.url}/stream` }), VideoClient);
  assert.deepEqual(await served.client.snapshot(), FRAME);

  await using stream = await served.client.openStream();
  assert.match(stream.response.headers.get("transfer-encoding") ?? "", /chunked/);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual((await stream.nextFrame()).body, FRAME, `frame ${i}`);
  }
  await assert.rejects(stream.nextFrame(), /the stream ended inside an MJPEG part head/);
  assert.equal(camera.requests, 2);
});
