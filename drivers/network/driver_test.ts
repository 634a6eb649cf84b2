import assert from "node:assert/strict";
import dgram from "node:dgram";
import { DriverClient } from "@jumpstarter/lib/client";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { EchoNetwork, TcpNetwork, UdpNetwork, UnixNetwork } from "./driver.ts";
import { NetworkClient } from "./client.ts";
import { collect, freePort, startSocat } from "./_testing/peers.ts";
import { driverPackage } from "./package.ts";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

Deno.test("EchoNetwork echoes through a generic client.stream() until the client ends", async () => {
  await using served = await serve(new EchoNetwork(), undefined, { packages: PACKAGES });
  assert.equal(served.client.clientClass, "jumpstarter_driver_network.client.NetworkClient");
  const stream = await served.client.stream("connect");
  const reading = collect(stream.readable);
  const writer = stream.writable.getWriter();
  await writer.write(bytes("hello "));
  await writer.write(bytes("echo"));
  await writer.close();
  assert.equal(text(await reading), "hello echo");
});

Deno.test("NetworkClient.connect() on EchoNetwork: each write comes straight back", async () => {
  await using served = await serve(new EchoNetwork(), NetworkClient, { packages: PACKAGES });
  await using stream = await served.client.connect();
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  for (const word of ["one", "two", "three"]) {
    await writer.write(bytes(word));
    assert.equal(text((await reader.read()).value!), word);
  }
  await writer.close();
  assert.equal((await reader.read()).done, true);
});

Deno.test("TcpNetwork carries bytes to a socat echo server and honours half-close", async () => {
  const port = freePort();
  await using _socat = await startSocat(
    `TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`,
    "PIPE",
  );
  const driver = new TcpNetwork({ host: "127.0.0.1", port });
  await using served = await serve(driver, NetworkClient);
  const stream = await served.client.connect();
  const reading = collect(stream.readable);
  const writer = stream.writable.getWriter();
  await writer.write(bytes("ping over tcp"));
  await writer.close();
  // socat PIPE answers everything it got, then ends once our side has ended
  assert.equal(text(await reading), "ping over tcp");
  assert.equal(driver.openConnections, 0);
});

Deno.test("TcpNetwork: a refused connection is a clear error and the exporter keeps serving", async () => {
  const port = freePort();
  const driver = new TcpNetwork({ host: "127.0.0.1", port });
  await using served = await serve(driver, NetworkClient);
  const failed = await served.client.connect().then(() => undefined, (error) => error);
  assert.ok(failed instanceof ConnectionError, `got ${failed}`);
  assert.match(
    failed.message,
    new RegExp(`Cannot connect to TCP 127\\.0\\.0\\.1:${port}: .*refused`),
  );
  // the same session reaches the service once it is up
  await using _socat = await startSocat(
    `TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`,
    "PIPE",
  );
  const stream = await served.client.connect();
  const reading = collect(stream.readable);
  const writer = stream.writable.getWriter();
  await writer.write(bytes("back"));
  await writer.close();
  assert.equal(text(await reading), "back");
});

Deno.test("TcpNetwork and UdpNetwork name the host when it does not resolve", async () => {
  for (
    const driver of [
      new TcpNetwork({ host: "no-such-host.invalid", port: 80 }),
      new UdpNetwork({ host: "no-such-host.invalid", port: 53 }),
    ]
  ) {
    await using served = await serve(driver, NetworkClient);
    await assert.rejects(
      served.client.connect(),
      (error: Error) =>
        error instanceof ConnectionError &&
        /Cannot connect to (TCP|UDP) no-such-host\.invalid:(80|53): /.test(error.message),
    );
  }
});

Deno.test("UnixNetwork reaches a socat Unix echo socket; a missing path names the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/echo.sock`;
    const missing = new UnixNetwork({ path: `${dir}/missing.sock` });
    await using absent = await serve(missing, NetworkClient);
    await assert.rejects(
      absent.client.connect(),
      new RegExp(`Cannot connect to Unix socket ${dir}/missing\\.sock: No such file`),
    );
    await using _socat = await startSocat(`UNIX-LISTEN:${path},fork`, "PIPE");
    await using served = await serve(new UnixNetwork({ path }), NetworkClient);
    const stream = await served.client.connect();
    const reading = collect(stream.readable);
    const writer = stream.writable.getWriter();
    await writer.write(bytes("over a unix socket"));
    await writer.close();
    assert.equal(text(await reading), "over a unix socket");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UdpNetwork exchanges datagrams with a socat UDP echo", async () => {
  const port = freePort();
  await using _socat = await startSocat(`UDP4-LISTEN:${port},bind=127.0.0.1,reuseaddr`, "PIPE");
  const driver = new UdpNetwork({ host: "127.0.0.1", port });
  await using served = await serve(driver, NetworkClient);
  const stream = await served.client.connect();
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  for (const message of ["first datagram", "second", "third one"]) {
    await writer.write(bytes(message));
    assert.equal(text((await reader.read()).value!), message);
  }
  assert.equal(driver.openConnections, 1);
  // dropping the stream releases the exporter's socket
  await reader.cancel();
  await driver.idle();
  assert.equal(driver.openConnections, 0);
});

Deno.test("UdpNetwork keeps datagram boundaries: one chunk is one datagram, both ways", async () => {
  const peer = dgram.createSocket("udp4");
  const received: string[] = [];
  const gotAll = Promise.withResolvers<void>();
  peer.on("message", (message, from) => {
    received.push(text(message));
    // answer every datagram with two separate ones
    peer.send(bytes(`${text(message)}/a`), from.port, from.address);
    peer.send(bytes(`${text(message)}/b`), from.port, from.address);
    if (received.length === 3) gotAll.resolve();
  });
  await new Promise<void>((resolve) => peer.bind(0, "127.0.0.1", resolve));
  try {
    const driver = new UdpNetwork({ host: "127.0.0.1", port: peer.address().port });
    await using served = await serve(driver, NetworkClient);
    await using stream = await served.client.connect();
    const writer = stream.writable.getWriter();
    for (const message of ["x", "yy", "zzz"]) await writer.write(bytes(message));
    await gotAll.promise;
    assert.deepEqual(received, ["x", "yy", "zzz"]);
    const reader = stream.readable.getReader();
    const replies: string[] = [];
    while (replies.length < 6) replies.push(text((await reader.read()).value!));
    assert.deepEqual(replies.sort(), ["x/a", "x/b", "yy/a", "yy/b", "zzz/a", "zzz/b"]);
    // closing our side sends nothing over UDP and leaves the association open for replies
    await writer.close();
    assert.equal(driver.openConnections, 1);
  } finally {
    await new Promise<void>((resolve) => peer.close(resolve));
  }
});

Deno.test("UdpNetwork: an oversized datagram breaks that stream with a clear error only", async () => {
  const driver = new UdpNetwork({ host: "127.0.0.1", port: freePort() });
  await using served = await serve(driver, NetworkClient);
  const stream = await served.client.connect();
  const reading = collect(stream.readable).catch((error) => error);
  const writer = stream.writable.getWriter();
  await writer.write(new Uint8Array(70_000)).catch(() => {});
  const failure = await reading;
  assert.ok(failure instanceof ConnectionError, `got ${failure}`);
  assert.match(failure.message, /Cannot send a 70000-byte datagram to UDP 127\.0\.0\.1:\d+: /);
  await assert.rejects(writer.closed, ConnectionError);
  await driver.idle();
  // the exporter keeps serving new streams
  await using again = await served.client.connect();
  await again.writable.getWriter().write(new Uint8Array(8));
  assert.equal(driver.openConnections, 1);
});

Deno.test("Closing the session drops the connections still open to the target", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const driver = new TcpNetwork({ host: "127.0.0.1", port: target.addr.port });
  await using served = await serve(driver, NetworkClient);
  const stream = await served.client.connect();
  using accepted = await target.accept();
  const reading = collect(stream.readable).catch((error) => error);
  const writer = stream.writable.getWriter();
  await writer.write(bytes("hi"));
  const buffer = new Uint8Array(2);
  assert.equal(await accepted.read(buffer), 2);
  assert.equal(driver.openConnections, 1);
  // the client keeps its stream open; the session ending must still release the socket
  await served.session.close();
  assert.equal(driver.openConnections, 0);
  assert.equal(await accepted.read(buffer), null);
  // and the client learns that its stream broke
  assert.match(String(await reading), /connection was closed/);
  writer.releaseLock();
});

Deno.test("Network driver types load from config under upstream names and reject bad config", () => {
  const tcp = driverRegistry.get("jumpstarter_driver_network.driver.TcpNetwork");
  assert.equal(tcp?.name, "TcpNetwork");
  assert.ok(tcp.create(tcp.config.parse({ host: "10.0.0.2", port: 22 }), {}) instanceof TcpNetwork);
  for (
    const [alias, name] of [
      ["jumpstarter_driver_network.driver.UdpNetwork", "UdpNetwork"],
      ["jumpstarter_driver_network.driver.UnixNetwork", "UnixNetwork"],
      ["jumpstarter_driver_network.driver.EchoNetwork", "EchoNetwork"],
    ]
  ) assert.equal(driverRegistry.get(alias!)?.name, name);
  assert.throws(() => tcp.config.parse({ host: "h", port: 70000 }), /port|65535/);
  assert.throws(() => tcp.config.parse({ host: "h", port: "22" }), /port/);
  assert.throws(() => tcp.config.parse({ port: 22 }), /host/);
  const unix = driverRegistry.get("UnixNetwork")!;
  assert.throws(() => unix.config.parse({ path: "" }), /path must not be empty/);
  assert.throws(() => unix.config.parse({ path: "/x", host: "y" }), /host/);
  const echo = driverRegistry.get("EchoNetwork")!;
  assert.ok(echo.create(echo.config.parse({}), {}) instanceof EchoNetwork);
});

Deno.test("serve() builds a NetworkClient from the reported client label", async () => {
  await using served = await serve(new EchoNetwork(), undefined, { packages: PACKAGES });
  assert.ok(served.client instanceof NetworkClient);
  assert.ok(served.client instanceof DriverClient);
});
