import assert from "node:assert/strict";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { setFastPathDisabled } from "@jumpstarter/lib/streams";
import {
  concat,
  lab,
  offerFor,
  pattern,
  roundTrip,
  withDeadline,
} from "./_testing/fast_path_lab.ts";
import { assertFailsWhenKilled, floodExporter, holdingClient } from "./_testing/killed_peers.ts";

Deno.test("fast path: a driver stream is byte-exact both ways and ends on half-close", async () => {
  await using fixture = await lab();
  const chunks = [pattern(1, 1), pattern(300_000, 2), pattern(4 * 1024 * 1024 + 7, 3)];
  const stream = await fixture.client.stream("echo");
  const echoed = await withDeadline("the echo", roundTrip(stream, chunks));
  assert.deepEqual(echoed, concat(chunks));
  assert.equal(fixture.server.fastPath?.claims, 1, "the stream did not use the fast path");
});

Deno.test("fast path: a slow reader gets every byte, in order", async () => {
  await using fixture = await lab();
  const chunks = Array.from({ length: 64 }, (_, i) => pattern(256 * 1024, i));
  const stream = await fixture.client.stream("echo");
  const echoed = await withDeadline("the slow reader", roundTrip(stream, chunks, true));
  assert.deepEqual(echoed, concat(chunks));
  assert.equal(fixture.server.fastPath?.claims, 1);
});

Deno.test("fast path: a resource upload and download are byte-exact", async () => {
  await using fixture = await lab();
  const upload = pattern(3 * 1024 * 1024 + 5, 9);
  const sent = await fixture.client.resource({ source: ReadableStream.from([upload]) });
  assert.equal(
    await withDeadline("store", fixture.client.call("store", sent.handle)),
    upload.length,
  );
  await sent.done;
  assert.deepEqual(fixture.driver.stored, upload);
  const received: Uint8Array[] = [];
  const back = await fixture.client.resource({
    sink: new WritableStream({ write: (chunk) => void received.push(chunk.slice()) }),
  });
  await withDeadline("replay", fixture.client.call("replay", back.handle));
  await withDeadline("the download", back.done);
  assert.deepEqual(concat(received), upload);
  assert.equal(fixture.server.fastPath?.claims, 2, "the resources did not use the fast path");
});

Deno.test("fast path: a driver error mid-stream fails the client's readable with it", async () => {
  await using fixture = await lab();
  const stream = await fixture.client.stream("unplug");
  const reader = stream.readable.getReader();
  assert.deepEqual((await reader.read()).value, new Uint8Array([1, 2, 3]));
  await withDeadline("the error", assert.rejects(reader.read(), /device unplugged/));
  assert.equal(fixture.server.fastPath?.claims, 1);
});

/** Presents `token` on the fast-path socket; the acknowledgement byte, or null when refused. */
async function present(path: string, token: string): Promise<number | null> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(new TextEncoder().encode(token));
    // a short token is followed by EOF, as from a peer that gave up
    if (token.length < 64) await conn.closeWrite();
    const ack = new Uint8Array(1);
    const n = await withDeadline("the exporter's answer to a token", conn.read(ack));
    return n === null ? null : ack[0]!;
  } finally {
    conn.close();
  }
}

Deno.test("fast path: forged and replayed tokens are refused without touching the driver", async () => {
  await using fixture = await lab();
  const fastSocket = `${fixture.path}.fast`;
  assert.equal(await present(fastSocket, "f".repeat(64)), null, "a forged token was accepted");
  assert.equal(await present(fastSocket, "short"), null, "a short token was accepted");
  assert.equal(fixture.driver.opened, 0);
  const { call, offer } = await offerFor(fixture, "echo");
  assert.equal(offer.path, fastSocket);
  assert.equal(fixture.driver.opened, 1);
  assert.equal(await present(fastSocket, offer.token), 1, "the issued token was refused");
  assert.equal(await present(fastSocket, offer.token), null, "a replayed token was accepted");
  assert.equal(fixture.driver.opened, 1);
  assert.equal(fixture.server.fastPath?.claims, 1);
  call.cancel();
});

Deno.test("fast path: falls back to gRPC frames when the raw socket cannot be reached", async () => {
  await using fixture = await lab();
  await Deno.remove(`${fixture.path}.fast`);
  const chunks = [pattern(1_000_000, 4), pattern(17, 5)];
  const stream = await fixture.client.stream("echo");
  assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
  const sent = await fixture.client.resource({ source: ReadableStream.from(chunks) });
  assert.equal(await withDeadline("store", fixture.client.call("store", sent.handle)), 1_000_017);
  await sent.done;
  assert.equal(fixture.server.fastPath?.claims, 0);
  assert.equal(fixture.server.fastPath?.pending, 0, "a token of a fallen-back stream lingers");
});

Deno.test("fast path: switched off, streams stay on gRPC frames", async () => {
  setFastPathDisabled(true);
  try {
    await using fixture = await lab();
    assert.equal(fixture.server.fastPath, undefined, "the exporter listens for the fast path");
    const chunks = [pattern(2_000_000, 6)];
    const stream = await fixture.client.stream("echo");
    assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
  } finally {
    setFastPathDisabled(undefined);
  }
});

Deno.test("fast path: a client killed mid-stream aborts the driver's side", async () => {
  await using fixture = await lab();
  {
    await using client = holdingClient({ address: fixture.path });
    await withDeadline("the child's first bytes", fixture.driver.firstBytes.promise);
    assert.equal(fixture.server.fastPath?.claims, 1);
    client.kill();
  }
  assert.equal(
    await withDeadline("the driver to see the end", fixture.driver.holdEnded.promise),
    "aborted",
  );
});

Deno.test("fast path: every chunk arrives as the chunk that was written", async () => {
  await using fixture = await lab();
  const sizes = [1, 3, 65536, 7, 300_000, 2];
  const stream = await fixture.client.stream("echo");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  for (const [i, size] of sizes.entries()) {
    await writer.write(pattern(size, i));
    const { value } = await withDeadline(`chunk ${i}`, reader.read());
    assert.deepEqual(value, pattern(size, i));
  }
  await writer.close();
  assert.equal((await withDeadline("the end", reader.read())).done, true);
  assert.equal(fixture.server.fastPath?.claims, 1);
});

Deno.test("fast path: an exporter killed mid-stream fails the client's readable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-fast-path-" });
  try {
    await using exporter = await floodExporter({ socket: `${dir}/socket` });
    using handle = await openExporter(exporter.address, {
      policy: UNSAFE_POLICY,
      registry: clientRegistryOf([]),
    });
    const stream = await handle.root.stream("flood");
    await assertFailsWhenKilled(stream.readable.getReader(), exporter);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
