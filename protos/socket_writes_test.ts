import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import { type CoalesceOptions, coalesceWrites, holdWrites } from "./socket_writes.ts";

/** A connected pair over a Unix socket: the server side is coalesced, the client collects. */
async function pair(counted?: { writes: number }, options: CoalesceOptions = {}): Promise<
  { writer: net.Socket; received: () => Buffer; ended: Promise<void>; close(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-writes-" });
  const path = `${dir}/s.sock`;
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((socket) => accepted.resolve(socket));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const reader = net.connect(path);
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    reader.on("data", (chunk: Buffer) => chunks.push(chunk));
    reader.on("end", resolve);
    reader.on("error", reject);
  });
  const writer = await accepted.promise;
  if (counted) {
    // count what reaches the socket from underneath the coalescing layer
    const write = writer.write.bind(writer) as (...args: unknown[]) => boolean;
    writer.write = ((...args: unknown[]) => {
      counted.writes++;
      return write(...args);
    }) as net.Socket["write"];
  }
  coalesceWrites(writer, options);
  return {
    writer,
    received: () => Buffer.concat(chunks),
    ended,
    close: async () => {
      reader.destroy();
      writer.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function deadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`waited 10 s for ${what}`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("coalesced writes arrive in order, with callback writes, strings and end()", async () => {
  const p = await pair();
  try {
    const expected: Uint8Array[] = [];
    const bytes = (n: number, seed: number) =>
      Uint8Array.from({ length: n }, (_, i) => (i + seed) % 256);
    const plain = (n: number, seed: number) => {
      const chunk = bytes(n, seed);
      expected.push(chunk);
      return chunk;
    };
    for (let i = 0; i < 50; i++) p.writer.write(plain(1 + i * 37, i));
    // over the limit: gathered bytes leave at once
    p.writer.write(plain(300 * 1024, 7));
    const called = Promise.withResolvers<void>();
    p.writer.write(plain(10, 99), () => called.resolve());
    p.writer.write("hi");
    expected.push(new Uint8Array([0x68, 0x69]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 20; i++) p.writer.write(plain(5000, i));
    p.writer.end(plain(3, 1));
    await deadline(called.promise, "the callback of a write");
    await deadline(p.ended, "the end of the stream");
    assert.ok(p.received().equals(Buffer.concat(expected)), "the bytes arrive in write order");
  } finally {
    await p.close();
  }
});

Deno.test("writes made together leave as one socket write", async () => {
  const counted = { writes: 0 };
  const p = await pair(counted);
  try {
    for (let i = 0; i < 10; i++) p.writer.write(Buffer.alloc(100, i));
    assert.equal(counted.writes, 0, "nothing is written while the writer is still going");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(counted.writes, 1);
    p.writer.end();
    await deadline(p.ended, "the end of the stream");
    assert.deepEqual(
      [...p.received()],
      Array.from({ length: 1000 }, (_, i) => Math.floor(i / 100)),
    );
  } finally {
    await p.close();
  }
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

Deno.test("a hold keeps writes back across turns until it is let go", async () => {
  const counted = { writes: 0 };
  // a bound far beyond the test's few turns, so that only letting go ends the hold
  const p = await pair(counted, { maxHoldMs: 60_000 });
  try {
    let holding = true;
    holdWrites(p.writer, () => holding);
    p.writer.write(Buffer.from("head"));
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    assert.equal(counted.writes, 0, "held writes wait for the holder");
    p.writer.write(Buffer.from("tail"));
    holding = false;
    const seen = await deadline(
      (async () => {
        while (counted.writes === 0) await nextTurn();
        return counted.writes;
      })(),
      "the held writes to leave once let go",
    );
    assert.equal(seen, 1, "what was held leaves as one write");
    p.writer.end();
    await deadline(p.ended, "the end of the stream");
    assert.equal(p.received().toString(), "headtail");
  } finally {
    await p.close();
  }
});

Deno.test("a hold that is never let go still ends, and a socket that does not coalesce is left alone", async () => {
  const counted = { writes: 0 };
  const p = await pair(counted);
  try {
    holdWrites(p.writer, () => true);
    p.writer.write(Buffer.from("late"));
    await deadline(
      (async () => {
        while (counted.writes === 0) await nextTurn();
      })(),
      "a hold that is never let go to end by itself",
    );
    holdWrites(new net.Socket(), () => true);
    holdWrites(undefined, () => true);
    p.writer.end();
    await deadline(p.ended, "the end of the stream");
    assert.equal(p.received().toString(), "late");
  } finally {
    await p.close();
  }
});
