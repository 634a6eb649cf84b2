/**
 * `createServer()` raises the HTTP/2 windows through grpc-js internals; these tests fail if a
 * grpc-js or Deno upgrade makes that silently stop working.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { createServer, HTTP2_MAX_FRAME_BYTES, HTTP2_WINDOW_BYTES } from "./http2_settings.ts";

async function withServer(
  windowBytes: number | undefined,
  check: (session: http2.ClientHttp2Session) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-windows-" });
  const path = `${dir}/grpc.sock`;
  const server = windowBytes === undefined ? createServer() : createServer({}, windowBytes);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(
      `unix:${path}`,
      grpc.ServerCredentials.createInsecure(),
      (error) => error ? reject(error) : resolve(),
    )
  );
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(path) });
  try {
    await check(session);
  } finally {
    session.destroy();
    server.forceShutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Resolves once the server's SETTINGS and its first window updates have arrived. */
async function settled(session: http2.ClientHttp2Session): Promise<http2.Settings> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no SETTINGS from the server within 10 s")), 10_000);
  });
  try {
    const settings = await Promise.race([
      new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve)),
      timeout,
    ]);
    // a PING round trip: the server's WINDOW_UPDATE, sent with its SETTINGS, is in by then
    await Promise.race([
      new Promise<void>((resolve, reject) =>
        session.ping((error) => error ? reject(error) : resolve())
      ),
      timeout,
    ]);
    return settings;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("createServer() advertises raised stream and connection windows and frame size", async () => {
  await withServer(undefined, async (session) => {
    const settings = await settled(session);
    assert.equal(settings.initialWindowSize, HTTP2_WINDOW_BYTES, "stream window (SETTINGS)");
    assert.equal(settings.maxFrameSize, HTTP2_MAX_FRAME_BYTES, "largest frame (SETTINGS)");
    assert.ok(
      (session.state.remoteWindowSize ?? 0) >= HTTP2_WINDOW_BYTES - 65_535,
      `connection window: ${session.state.remoteWindowSize}, wanted ~${HTTP2_WINDOW_BYTES}`,
    );
  });
});

Deno.test("createServer() takes another window size for benchmarks", async () => {
  await withServer(1024 * 1024, async (session) => {
    const settings = await settled(session);
    assert.equal(settings.initialWindowSize, 1024 * 1024);
  });
});
