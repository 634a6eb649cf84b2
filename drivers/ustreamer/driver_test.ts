/**
 * UStreamer against the real Debian `ustreamer` (no camera: it serves its "no signal" frame):
 * state, a JPEG snapshot, the MJPEG stream read through the client, and the one-line errors.
 */
import assert from "node:assert/strict";
import { eventually, serve } from "@jumpstarter/lib/testing";
import { DriverError } from "@jumpstarter/lib/wire";
import { jpegSize } from "@jumpstarter/driver-video";
import { findExecutable } from "./executable.ts";
import { UStreamer } from "./driver.ts";
import { UStreamerClient } from "./client.ts";

function processGone(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return false;
  } catch {
    return true;
  }
}

Deno.test("UStreamer serves the real ustreamer's state, snapshot and MJPEG stream", async () => {
  const driver = new UStreamer({ args: { resolution: "640x480" } });
  const pid = driver.pid;
  {
    await using served = await serve(driver, UStreamerClient);
    const state = await served.client.state();
    assert.equal(state.ok, true);
    assert.equal(state.online, false, "no camera here: the source is offline");
    assert.deepEqual([state.width, state.height], [640, 480]);
    assert.deepEqual(state.result.source.resolution, { width: 640, height: 480 });
    assert.equal(state.result.encoder.type, "CPU");

    const jpeg = await served.client.snapshot();
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], "a snapshot is a JPEG");
    assert.deepEqual(jpegSize(jpeg), { width: 640, height: 480 });

    assert.equal(await served.client.streamPath(), "/stream");
    await using stream = await served.client.openStream();
    assert.match(stream.response.headers.get("content-type") ?? "", /^multipart\/x-mixed-replace/);
    const first = await stream.nextFrame();
    const second = await stream.nextFrame();
    for (const frame of [first, second]) {
      assert.equal(frame.headers.get("content-type"), "image/jpeg");
      assert.deepEqual(jpegSize(frame.body), { width: 640, height: 480 });
    }
  }
  assert.ok(processGone(pid), `ustreamer (pid ${pid}) still runs after the session closed`);
});

Deno.test("a missing ustreamer executable is one line naming it", () => {
  assert.throws(
    () => new UStreamer({ executable: "/nonexistent/ustreamer" }),
    { message: "ustreamer executable not found: /nonexistent/ustreamer is not an executable file" },
  );
  assert.throws(() => findExecutable("ustreamer", "/nonexistent:/also-missing"), {
    message: "ustreamer executable not found: no ustreamer on PATH",
  });
});

Deno.test("ustreamer refusing its arguments fails each call in one line; the exporter keeps serving", async () => {
  await using served = await serve(new UStreamer({ args: { bogus: "x" } }), UStreamerClient);
  for (const call of [() => served.client.state(), () => served.client.snapshot()]) {
    await assert.rejects(call, (error: Error) => {
      assert.ok(error instanceof DriverError, `${error.name}: ${error.message}`);
      assert.equal(
        error.message,
        "ustreamer exited with code 1: /usr/bin/ustreamer: unrecognized option '--bogus'",
      );
      return true;
    });
  }
  assert.equal(await served.client.streamPath(), "/stream", "the session still answers");
});

Deno.test("ustreamer dying mid-session fails later calls in one line; the session serves on", async () => {
  const driver = new UStreamer();
  await using served = await serve(driver, UStreamerClient);
  assert.equal((await served.client.state()).ok, true);
  Deno.kill(driver.pid, "SIGKILL");
  const error = await eventually("a snapshot to fail once ustreamer is gone", async () => {
    const failure = await served.client.snapshot().then(() => undefined, (error: Error) => error);
    return failure?.message.startsWith("ustreamer was killed") ? failure : undefined;
  });
  assert.ok(error instanceof DriverError, `${error.name}: ${error.message}`);
  assert.match(error.message, /^ustreamer was killed by SIGKILL(: [^\n]+)?$/);
  await assert.rejects(served.client.state(), { message: error.message });
  assert.equal(await served.client.streamPath(), "/stream", "the session still answers");
});
