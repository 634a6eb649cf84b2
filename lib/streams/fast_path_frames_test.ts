import assert from "node:assert/strict";
import { ChunkReader, ChunkWriter, type RawConn } from "./fast_path_frames.ts";

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

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited 10 s for ${what}`)), 10_000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
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
    for (let chunk = await reader.next(); chunk !== null; chunk = await reader.next()) {
      received.push(chunk.slice());
    }
    await withDeadline(writing, "the writer to finish");
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
      (async () => {
        for (let i = 0; i < 100; i++) await writer.write(pattern(10, i));
      })(),
      "a write to fail",
    ),
    /the peer is gone/,
  );
  await assert.rejects(writer.end(), /the peer is gone/);
  assert.deepEqual(written, [14], "only the first frame reached the connection");
});
