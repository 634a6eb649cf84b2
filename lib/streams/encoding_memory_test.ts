/**
 * Content encodings decode as the reader reads: bounded memory on a 1 GiB stream of zeros.
 */
import assert from "node:assert/strict";
import { decodeStream } from "./encoding.ts";
import { compress, concat } from "./_testing/encoding_support.ts";

/**
 * 1 GiB of zeros (64 concatenated streams of 16 MiB), handed over 512 bytes at a time: reading a
 * few chunks of output takes a few chunks of input, and cancelling the output cancels the input.
 */
for (const encoding of ["gzip", "xz", "zstd", "bz2"] as const) {
  Deno.test(`${encoding}: decoding follows the reader (bounded memory)`, async () => {
    const one = await compress(encoding, new Uint8Array(16 << 20), encoding === "xz" ? "-0" : "-1");
    const compressed = concat(...Array.from({ length: 64 }, () => one));
    let delivered = 0;
    let cancelled = false;
    const input = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (delivered >= compressed.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(compressed.slice(delivered, delivered + 512));
        delivered += 512;
      },
      cancel() {
        cancelled = true;
      },
    }, { highWaterMark: 0 });
    const reader = input.pipeThrough(decodeStream(encoding)).getReader();
    let read = 0;
    for (let i = 0; i < 4; i++) {
      const { value } = await reader.read();
      assert.ok(value && value.byteLength <= 1 << 20);
      read += value.byteLength;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(read > 0 && read <= 4 << 20);
    if (encoding !== "bz2") {
      // (bzip2's are 6 KiB in all, less than one block's lookahead: blocks decode one at a time)
      assert.ok(
        delivered < compressed.byteLength / 8,
        `${delivered} of ${compressed.byteLength} compressed bytes taken for ${read} bytes read`,
      );
    }
    await reader.cancel();
    assert.equal(cancelled, encoding !== "bz2");
  });
}
