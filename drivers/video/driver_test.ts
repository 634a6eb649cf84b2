/**
 * HttpVideo against a real HTTP camera: Debian's `ustreamer` on a TCP port (no camera device, so
 * it serves its "no signal" frame). Snapshots from the snapshot URL and from the MJPEG stream,
 * state, the stream read through the client, and the errors of an unreachable camera.
 */
import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { HttpVideo } from "./driver.ts";
import { VideoClient } from "./client.ts";
import { jpegSize } from "./jpeg_size.ts";
import { freePort, startUStreamerCamera } from "./_testing/ustreamer_camera.ts";

const NO_SIGNAL = { width: 640, height: 480 };

Deno.test("HttpVideo takes snapshots from the snapshot URL and reports the frame's size", async () => {
  await using camera = await startUStreamerCamera();
  const driver = new HttpVideo({
    url: `${camera.url}/stream`,
    snapshot_url: `${camera.url}/snapshot`,
  });
  await using served = await serve(driver, VideoClient);
  const jpeg = await served.client.snapshot();
  assert.deepEqual(jpegSize(jpeg), NO_SIGNAL);
  assert.deepEqual(await served.client.state(), {
    online: true,
    width: 640,
    height: 480,
    fps: null,
  });
});

Deno.test("HttpVideo without a snapshot URL takes the first frame of the MJPEG stream", async () => {
  await using camera = await startUStreamerCamera();
  await using served = await serve(new HttpVideo({ url: `${camera.url}/stream` }), VideoClient);
  const jpeg = await served.client.snapshotBytes();
  assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
  assert.deepEqual(jpegSize(jpeg), NO_SIGNAL);
});

Deno.test("the MJPEG stream is readable through the client's connect stream", async () => {
  await using camera = await startUStreamerCamera();
  await using served = await serve(
    new HttpVideo({ url: `${camera.url}/stream?extra_headers=1` }),
    VideoClient,
  );
  assert.equal(await served.client.streamPath(), "/stream?extra_headers=1");
  await using stream = await served.client.openStream();
  assert.equal(stream.response.status, 200);
  for (let i = 0; i < 3; i++) {
    const frame = await stream.nextFrame();
    assert.deepEqual(jpegSize(frame.body), NO_SIGNAL, `frame ${i}`);
  }
});

Deno.test("an unreachable camera is offline, snapshots fail in one line, the session serves on", async () => {
  const port = freePort();
  await using served = await serve(
    new HttpVideo({ url: `http://127.0.0.1:${port}/stream` }),
    VideoClient,
  );
  assert.deepEqual(await served.client.state(), {
    online: false,
    width: null,
    height: null,
    fps: null,
  });
  await assert.rejects(served.client.snapshot(), (error: Error) => {
    assert.ok(error instanceof ConnectionError, `${error.name}: ${error.message}`);
    assert.match(
      error.message,
      new RegExp(`^Cannot reach http://127\\.0\\.0\\.1:${port}/stream: `),
    );
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
  await assert.rejects(
    served.client.connect(),
    new RegExp(`Cannot connect to 127\\.0\\.0\\.1:${port}`),
  );
  assert.equal(await served.client.streamPath(), "/stream");
});

Deno.test("HttpVideo refuses a stream URL that is not http(s) or has no host", () => {
  assert.throws(() => new HttpVideo({ url: "rtsp://camera/stream" }), {
    message: "unsupported scheme in stream url: rtsp://camera/stream",
  });
  assert.throws(() => new HttpVideo({ url: "not a url" }), {
    message: "invalid stream url: not a url",
  });
});
