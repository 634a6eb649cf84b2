import assert from "node:assert/strict";
import { randomBytes, serve, sha256Hex } from "@jumpstarter/lib/testing";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { TcpNetwork, UnixNetwork } from "./driver.ts";
import { NetworkClient } from "./client.ts";
import { curl, exchange, freePort, startSocat } from "./_testing/peers.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A tiny HTTP server on 127.0.0.1: `/echo/<x>` answers `<x>`, `/blob` a fixed body. */
function httpServer(blob = new Uint8Array()) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/blob") return new Response(blob);
    if (url.pathname === "/upload") {
      const body = new Uint8Array(await request.arrayBuffer());
      return new Response(`${body.byteLength} ${await sha256Hex(body)}`);
    }
    return new Response(`you asked for ${url.pathname}`);
  });
}

Deno.test("forwardTcp: curl reaches an HTTP server on the exporter side", async () => {
  await using server = httpServer();
  const driver = new TcpNetwork({ host: "127.0.0.1", port: server.addr.port });
  await using served = await serve(driver, NetworkClient);
  await using forward = await served.client.forwardTcp();
  assert.equal(forward.address, "127.0.0.1");
  assert.ok(forward.port > 0);
  const result = await curl([`http://127.0.0.1:${forward.port}/hello/board`]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(text(result.stdout), "you asked for /hello/board");
});

Deno.test("forwardTcp: 50 concurrent connections each get their own bytes back", async () => {
  const port = freePort();
  await using _socat = await startSocat(
    `TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,backlog=128`,
    "PIPE",
  );
  const driver = new TcpNetwork({ host: "127.0.0.1", port });
  await using served = await serve(driver, NetworkClient);
  await using forward = await served.client.forwardTcp();
  const payloads = Array.from({ length: 50 }, (_, i) => {
    const bytes = randomBytes(16 * 1024 + i * 997);
    bytes[0] = i;
    return bytes;
  });
  const replies = await Promise.all(payloads.map(async (payload) => {
    const conn = await Deno.connect({ hostname: forward.address, port: forward.port });
    return await exchange(conn, payload);
  }));
  replies.forEach((reply, i) => assert.deepEqual(reply, payloads[i], `connection ${i}`));
  await driver.idle();
});

Deno.test("forwardTcp: 64 MiB each way keep their SHA-256", async () => {
  const blob = randomBytes(64 * 1024 * 1024);
  const expected = await sha256Hex(blob);
  await using server = httpServer(blob);
  await using served = await serve(
    new TcpNetwork({ host: "127.0.0.1", port: server.addr.port }),
    NetworkClient,
  );
  await using forward = await served.client.forwardTcp();
  const base = `http://127.0.0.1:${forward.port}`;
  const download = await curl([`${base}/blob`]);
  assert.equal(download.code, 0, download.stderr);
  assert.equal(download.stdout.byteLength, blob.byteLength);
  assert.equal(await sha256Hex(download.stdout as Uint8Array<ArrayBuffer>), expected);
  const upload = await curl(["--data-binary", "@-", `${base}/upload`], blob);
  assert.equal(upload.code, 0, upload.stderr);
  assert.equal(text(upload.stdout), `${blob.byteLength} ${expected}`);
});

Deno.test("forwardTcp: a refused target fails that connection only and is reported", async () => {
  const port = freePort();
  const errors: unknown[] = [];
  const driver = new TcpNetwork({ host: "127.0.0.1", port });
  await using served = await serve(driver, NetworkClient);
  const reported = Promise.withResolvers<void>();
  await using forward = await served.client.forwardTcp({
    onError: (error) => {
      errors.push(error);
      reported.resolve();
    },
  });
  const refused = await curl([`http://127.0.0.1:${forward.port}/`]);
  assert.notEqual(refused.code, 0);
  await reported.promise;
  assert.ok(errors[0] instanceof ConnectionError);
  assert.match(String(errors[0]), new RegExp(`127\\.0\\.0\\.1:${port}.*refused`));
  // the forwarder and the exporter keep going once the service is up
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    () => new Response("up now"),
  );
  const ok = await curl([`http://127.0.0.1:${forward.port}/`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(text(ok.stdout), "up now");
  assert.equal(errors.length, 1);
  void server;
});

Deno.test("forwardTcp: closing the forwarder ends active connections on both ends", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const driver = new TcpNetwork({ host: "127.0.0.1", port: target.addr.port });
  await using served = await serve(driver, NetworkClient);
  const forward = await served.client.forwardTcp();
  using local = await Deno.connect({ hostname: "127.0.0.1", port: forward.port });
  using remote = await target.accept();
  await local.write(new TextEncoder().encode("ping"));
  const buffer = new Uint8Array(16);
  assert.equal(text(buffer.subarray(0, (await remote.read(buffer))!)), "ping");
  await remote.write(new TextEncoder().encode("pong"));
  assert.equal(text(buffer.subarray(0, (await local.read(buffer))!)), "pong");
  assert.equal(forward.connections, 1);
  assert.equal(driver.openConnections, 1);

  await forward.close();
  assert.equal(forward.connections, 0);
  // the target and the local client both see their connection end
  assert.equal(await remote.read(buffer).catch(() => null), null);
  assert.equal(await local.read(buffer).catch(() => null), null);
  await driver.idle();
  // and nothing listens any more
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: forward.port }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("forwardUnix: a temporary socket reaches a socat Unix echo target", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/target.sock`;
    await using _socat = await startSocat(`UNIX-LISTEN:${path},fork`, "PIPE");
    await using served = await serve(new UnixNetwork({ path }), NetworkClient);
    const forward = await served.client.forwardUnix();
    assert.match(forward.path, /jumpstarter-[^/]+\/socket$/);
    const conn = await Deno.connect({ transport: "unix", path: forward.path });
    const payload = randomBytes(300 * 1024);
    assert.deepEqual(await exchange(conn, payload), payload);
    await forward.close();
    await assert.rejects(Deno.stat(forward.path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("forwardUnix: an explicit path is used and removed on close", async () => {
  await using server = httpServer();
  await using served = await serve(
    new TcpNetwork({ host: "127.0.0.1", port: server.addr.port }),
    NetworkClient,
  );
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/forward.sock`;
    await using forward = await served.client.forwardUnix(path);
    assert.equal(forward.path, path);
    const result = await curl(["--unix-socket", path, "http://board/over-unix"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(text(result.stdout), "you asked for /over-unix");
    await forward.close();
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    await assert.rejects(
      served.client.forwardUnix(`${dir}/no/such/dir.sock`),
      /Cannot listen on Unix socket .*no\/such\/dir\.sock/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("forwardTcp: a port in use is a clear error", async () => {
  await using served = await serve(new TcpNetwork({ host: "127.0.0.1", port: 9 }), NetworkClient);
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await assert.rejects(
    served.client.forwardTcp({ port: busy.addr.port }),
    new RegExp(`Cannot listen on TCP 127\\.0\\.0\\.1:${busy.addr.port}: .*in use`),
  );
});
