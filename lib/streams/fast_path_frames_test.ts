import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { ChunkReader, ChunkWriter, type RawConn } from "./fast_path_frames.ts";
import { socketByteStream } from "./fast_path_stream.ts";
import { withDeadline } from "./_testing/fast_path_lab.ts";

/** A connected Unix socket pair in a fresh directory. */
async function socketPair(): Promise<{ a: Deno.Conn; b: Deno.Conn; close(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-frames-" });
  const listener = Deno.listen({ transport: "unix", path: `${dir}/s.sock` });
  const [a, b] = await Promise.all([
    Deno.connect({ transport: "unix", path: `${dir}/s.sock` }),
    listener.accept(),
  ]);
  listener.close();
  return {
    a,
    b,
    close: async () => {
      for (const conn of [a, b]) {
        try {
          conn.close();
        } catch { /* closed by the test */ }
      }
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);
}

Deno.test("chunk frames: every chunk arrives as written, in order, while the writer runs ahead", async () => {
  const pair = await socketPair();
  try {
    // small ones gather behind a write in flight; the big ones go out as they are, in their turn
    const sizes = [1, 3, 65536, 10, 300_000, 7, 262_144, 262_145, 5, 100_000, 1, 2_000_000, 9];
    const chunks = sizes.map((size, i) => pattern(size, i));
    const writer = new ChunkWriter(pair.a);
    const writing = (async () => {
      for (const chunk of chunks) {
        const copy = chunk.slice();
        await writer.write(copy);
        copy.fill(0); // the caller may reuse its buffer once write returned
      }
      await writer.end();
    })();
    const reader = new ChunkReader(pair.b);
    const received: Uint8Array[] = [];
    await withDeadline(
      "every chunk and the end mark",
      (async () => {
        for (let chunk = await reader.next(); chunk !== null; chunk = await reader.next()) {
          received.push(chunk.slice());
        }
      })(),
    );
    await withDeadline("the writer to finish", writing);
    assert.deepEqual(received.map((c) => c.byteLength), sizes);
    received.forEach((chunk, i) => assert.deepEqual(chunk, chunks[i], `chunk ${i}`));
  } finally {
    await pair.close();
  }
});

Deno.test("chunk frames: a write that failed after write() returned fails the next call", async () => {
  let fail = false;
  const written: number[] = [];
  const conn: RawConn = {
    read: () => Promise.resolve(null),
    write: (bytes) => {
      if (fail) return Promise.reject(new Error("the peer is gone"));
      written.push(bytes.byteLength);
      return Promise.resolve(bytes.byteLength);
    },
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
  const writer = new ChunkWriter(conn);
  await writer.write(pattern(10, 1));
  fail = true;
  await writer.write(pattern(10, 2)); // gathered while the first is in flight: it returns
  await assert.rejects(
    withDeadline(
      "a write to fail",
      (async () => {
        for (let i = 0; i < 100; i++) await writer.write(pattern(10, i));
      })(),
    ),
    /the peer is gone/,
  );
  await assert.rejects(writer.end(), /the peer is gone/);
  assert.deepEqual(written, [14], "only the first frame reached the connection");
});

Deno.test("chunk frames: a slow socket never sees its bytes change, and what gathers stays whole", async () => {
  // a connection that takes each write a little later, as a busy socket does, and checks that
  // the bytes it was handed are still the same when it takes them
  const taken: Uint8Array[] = [];
  const conn: RawConn = {
    read: () => Promise.resolve(null),
    write: async (bytes) => {
      const handed = bytes.slice();
      await new Promise((resolve) => setTimeout(resolve, 2));
      assert.deepEqual(bytes, handed, "a buffer was written to while a write held it");
      taken.push(handed);
      return bytes.byteLength;
    },
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
  const writer = new ChunkWriter(conn);
  const chunks = Array.from(
    { length: 60 },
    (_, i) => pattern([1, 700, 20_000, 90_000, 200_000][i % 5]!, i),
  );
  await withDeadline(
    "60 chunks through a slow socket",
    (async () => {
      for (const chunk of chunks) await writer.write(chunk);
      await writer.end();
    })(),
  );
  assert.ok(taken.length < chunks.length, `chunks gathered: ${taken.length} writes`);
  const all = new Uint8Array(taken.reduce((sum, bytes) => sum + bytes.byteLength, 0));
  let offset = 0;
  for (const bytes of taken) {
    all.set(bytes, offset);
    offset += bytes.byteLength;
  }
  const reader = new ChunkReader({
    read: (into) => {
      const n = Math.min(into.byteLength, all.byteLength - readAt);
      if (n === 0) return Promise.resolve(null);
      into.set(all.subarray(readAt, readAt + n));
      readAt += n;
      return Promise.resolve(n);
    },
    write: () => Promise.reject(new Error("not written")),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  });
  let readAt = 0;
  for (const [i, chunk] of chunks.entries()) {
    assert.deepEqual(await reader.next(), chunk, `chunk ${i}`);
  }
  assert.equal(await reader.next(), null, "the end mark follows");
});

Deno.test("fast path stream: a write that failed after write() returned fails close() the stream's way", async () => {
  let fail = false;
  const conn: RawConn = {
    read: () => new Promise(() => {}),
    write: (bytes) =>
      fail ? Promise.reject(new Error("Broken pipe")) : Promise.resolve(bytes.byteLength),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
  const call = Object.assign(new EventEmitter(), {
    write: () => true,
    pause: () => {},
    resume: () => {},
  });
  const stream = socketByteStream(conn, call, {
    mapError: (error) => new Error(`mapped: ${(error as Error).message}`),
  });
  const writer = stream.writable.getWriter();
  await writer.write(pattern(10, 1));
  fail = true;
  await writer.write(pattern(10, 2)); // gathered behind the first: write() has returned
  await assert.rejects(withDeadline("close", writer.close()), /^Error: mapped: Broken pipe$/);
});
