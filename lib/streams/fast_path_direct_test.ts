/**
 * The fast path in direct mode: our client reaches our exporter over TCP (plaintext, `jmp run
 * --tls-grpc-insecure`) or TLS (our TLS front), and the stream's bytes move over the fast path's
 * own port, TLS when the session is. Every case runs in both modes.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { setFastPathDisabled } from "@jumpstarter/lib/streams";
import {
  concat,
  type Lab,
  lab,
  type LabMode,
  localhostIdentity,
  offerFor,
  pattern,
  roundTrip,
  withDeadline,
} from "./_testing/fast_path_lab.ts";
import { assertFailsWhenKilled, floodExporter, holdingClient } from "./_testing/killed_peers.ts";

const MODES: LabMode[] = ["tcp", "tls"];

/** Presents `token` on the fast path's port; the acknowledgement byte, or null when refused. */
async function present(mode: LabMode, port: number, token: string): Promise<number | null> {
  const socket = mode === "tls"
    ? tls.connect({ host: "localhost", servername: "localhost", port, rejectUnauthorized: false })
    : net.connect({ host: "127.0.0.1", port });
  try {
    await withDeadline(
      "the fast path's port",
      once(socket, mode === "tls" ? "secureConnect" : "connect"),
    );
    socket.write(token);
    // a short token is followed by EOF, as from a peer that gave up
    if (token.length < 64) socket.end();
    const answer = new Promise<number | null>((resolve) => {
      socket.once("data", (bytes: Uint8Array) => resolve(bytes[0]!));
      socket.once("close", () => resolve(null));
      socket.once("error", () => resolve(null));
    });
    return await withDeadline("the exporter's answer to a token", answer);
  } finally {
    socket.destroy();
  }
}

/** A TCP relay on 127.0.0.2 to `address`: only the session's port is reachable through it. */
function relayOnOtherAddress(address: string) {
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  const listener = Deno.listen({ hostname: "127.0.0.2", port: 0 });
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.add(inbound).add(outbound);
      inbound.readable.pipeTo(outbound.writable).catch(() => {});
      outbound.readable.pipeTo(inbound.writable).catch(() => {});
    }
  })().catch(() => {});
  return Promise.resolve({
    address: `127.0.0.2:${(listener.addr as Deno.NetAddr).port}`,
    close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed by its pipe */ }
      }
    },
  });
}

for (const mode of MODES) {
  Deno.test(`fast path (${mode}): a driver stream is byte-exact both ways and ends on half-close`, async () => {
    await using fixture = await lab(mode);
    assert.ok(fixture.server.fastPath?.port, "the exporter has no fast-path port");
    assert.equal(fixture.server.fastPath.tls, mode === "tls");
    const chunks = [pattern(1, 1), pattern(300_000, 2), pattern(4 * 1024 * 1024 + 7, 3)];
    const stream = await fixture.client.stream("echo");
    assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
    assert.equal(fixture.server.fastPath.claims, 1, "the stream did not use the fast path");
  });

  Deno.test(`fast path (${mode}): a slow reader gets every byte, in order`, async () => {
    await using fixture = await lab(mode);
    const chunks = Array.from({ length: 64 }, (_, i) => pattern(256 * 1024, i));
    const stream = await fixture.client.stream("echo");
    const echoed = await withDeadline("the slow reader", roundTrip(stream, chunks, true));
    assert.deepEqual(echoed, concat(chunks));
    assert.equal(fixture.server.fastPath?.claims, 1);
  });

  Deno.test(`fast path (${mode}): resources and chunk boundaries are byte-exact`, async () => {
    await using fixture = await lab(mode);
    const upload = pattern(3 * 1024 * 1024 + 5, 9);
    const sent = await fixture.client.resource({ source: ReadableStream.from([upload]) });
    assert.equal(
      await withDeadline("store", fixture.client.call("store", sent.handle)),
      upload.length,
    );
    await sent.done;
    assert.deepEqual(fixture.driver.stored, upload);
    const stream = await fixture.client.stream("echo");
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    for (const [i, size] of [1, 3, 65536, 7, 300_000, 2].entries()) {
      await writer.write(pattern(size, i));
      assert.deepEqual((await withDeadline(`chunk ${i}`, reader.read())).value, pattern(size, i));
    }
    await writer.close();
    assert.equal((await withDeadline("the end", reader.read())).done, true);
    assert.equal(fixture.server.fastPath?.claims, 2);
  });

  Deno.test(`fast path (${mode}): a driver error mid-stream fails the client's readable`, async () => {
    await using fixture = await lab(mode);
    const stream = await fixture.client.stream("unplug");
    const reader = stream.readable.getReader();
    assert.deepEqual((await withDeadline("bytes", reader.read())).value, new Uint8Array([1, 2, 3]));
    await withDeadline("the error", assert.rejects(reader.read(), /device unplugged/));
    assert.equal(fixture.server.fastPath?.claims, 1);
  });

  Deno.test(`fast path (${mode}): forged and replayed tokens are refused`, async () => {
    await using fixture = await lab(mode);
    const port = fixture.server.fastPath!.port!;
    assert.equal(await present(mode, port, "f".repeat(64)), null, "a forged token was accepted");
    assert.equal(await present(mode, port, "short"), null, "a short token was accepted");
    assert.equal(fixture.driver.opened, 0);
    const { call, offer } = await offerFor(fixture, "echo");
    assert.equal(offer.port, port);
    assert.equal(offer.tls, mode === "tls");
    assert.equal(await present(mode, port, offer.token), 1, "the issued token was refused");
    assert.equal(await present(mode, port, offer.token), null, "a replayed token was accepted");
    assert.equal(fixture.driver.opened, 1);
    assert.equal(fixture.server.fastPath?.claims, 1);
    call.cancel();
  });

  Deno.test(`fast path (${mode}): falls back to gRPC frames when the raw connection fails`, async () => {
    // tcp: only the session's port is forwarded; tls: the fast path's certificate is not trusted
    await using fixture = mode === "tcp"
      ? await lab(mode, { relay: relayOnOtherAddress })
      : await lab(mode, { fastPathIdentity: await localhostIdentity() });
    const chunks = [pattern(1_000_000, 4), pattern(17, 5)];
    const stream = await fixture.client.stream("echo");
    assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
    const sent = await fixture.client.resource({ source: ReadableStream.from(chunks) });
    assert.equal(await withDeadline("store", fixture.client.call("store", sent.handle)), 1_000_017);
    await sent.done;
    assert.equal(fixture.server.fastPath?.claims, 0);
    assert.equal(fixture.server.fastPath?.pending, 0, "a token of a fallen-back stream lingers");
  });

  Deno.test(`fast path (${mode}): switched off, streams stay on gRPC frames`, async () => {
    setFastPathDisabled(true);
    try {
      await using fixture = await lab(mode);
      assert.equal(fixture.server.fastPath, undefined, "the exporter listens for the fast path");
      const chunks = [pattern(2_000_000, 6)];
      const stream = await fixture.client.stream("echo");
      assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
    } finally {
      setFastPathDisabled(undefined);
    }
  });

  Deno.test(`fast path (${mode}): a client killed mid-stream aborts the driver's side`, async () => {
    await using fixture = await lab(mode);
    const ca = fixture.handle.connection.tls ? caOf(fixture) : undefined;
    {
      await using client = holdingClient({ address: fixture.host, ...(ca ? { ca } : {}) });
      await withDeadline("the child's first bytes", fixture.driver.firstBytes.promise);
      assert.equal(fixture.server.fastPath?.claims, 1);
      client.kill();
    }
    assert.equal(
      await withDeadline("the driver to see the end", fixture.driver.holdEnded.promise),
      "aborted",
    );
  });
}

/** The CA the lab's client trusts (TLS mode). */
function caOf(fixture: Lab): string {
  const ca = fixture.handle.connection.tls?.ca;
  assert.ok(ca, "the TLS lab's client trusts no CA");
  return ca;
}

Deno.test("fast path (tcp): an exporter killed mid-stream fails the client's readable", async () => {
  await using exporter = await floodExporter("tcp");
  assert.match(exporter.address, /^127\.0\.0\.1:\d+$/);
  using handle = await openExporter(exporter.address, {
    insecure: true,
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
  });
  const stream = await handle.root.stream("flood");
  await assertFailsWhenKilled(stream.readable.getReader(), exporter);
});
