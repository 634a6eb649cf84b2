/**
 * `j video stream`'s local server against the real ustreamer as an HTTP camera: the page, a
 * snapshot and the MJPEG stream proxied through the exporter; a port in use is one line.
 */
import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import { HttpVideo } from "./driver.ts";
import { VideoClient } from "./client.ts";
import { jpegSize } from "./jpeg_size.ts";
import { multipartBoundary, MultipartReader } from "./multipart.ts";
import { serveVideo } from "./stream_server.ts";
import { startUStreamerCamera } from "./_testing/ustreamer_camera.ts";

Deno.test("the local video server serves the page, a snapshot and the proxied MJPEG stream", async () => {
  await using camera = await startUStreamerCamera();
  await using served = await serve(
    new HttpVideo({ url: `${camera.url}/stream`, snapshot_url: `${camera.url}/snapshot` }),
    VideoClient,
  );
  await using server = serveVideo(served.client);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const page = await fetch(`${server.url}/`);
  assert.match(await page.text(), /<img src="\/stream"/);
  const snapshot = await fetch(`${server.url}/snapshot`);
  assert.equal(snapshot.headers.get("content-type"), "image/jpeg");
  assert.deepEqual(jpegSize(new Uint8Array(await snapshot.arrayBuffer())), {
    width: 640,
    height: 480,
  });

  const stream = await fetch(`${server.url}/stream`);
  assert.equal(stream.status, 200);
  const frames = new MultipartReader(
    stream.body!,
    multipartBoundary(stream.headers.get("content-type")),
  );
  try {
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(jpegSize((await frames.next()).body), { width: 640, height: 480 });
    }
  } finally {
    await frames.cancel();
  }
  assert.equal(
    await fetch(`${server.url}/nothing`).then(async (r) => (await r.body?.cancel(), r.status)),
    404,
  );
});

Deno.test("the local video server on a port in use fails in one line", () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = {} as VideoClient;
  assert.throws(() => serveVideo(client, busy.addr.port), {
    message: `Cannot listen on 127.0.0.1:${busy.addr.port}: the port is in use`,
  });
});
