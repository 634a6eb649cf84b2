/**
 * Content encodings, checked against Debian's command-line tools (gzip, xz-utils, bzip2, zstd):
 * what they compress decodes to the same bytes, and what encodeStream writes they decode.
 */
import assert from "node:assert/strict";
import {
  CONTENT_ENCODINGS,
  ContentEncodingError,
  decodeStream,
  detectEncoding,
  ENCODABLE,
  encodeStream,
} from "./encoding.ts";
import {
  chunks,
  collect,
  compress,
  concat,
  decode,
  decompress,
  MIXED,
  MIXED_SHA,
  prng,
  randomBytes,
  rejectsDecoding,
  sha256,
  textLike,
  TOOLS,
} from "./_testing/encoding_support.ts";

for (const encoding of CONTENT_ENCODINGS) {
  Deno.test(`${encoding}: decodes what ${TOOLS[encoding]} wrote`, async () => {
    const compressed = await compress(encoding, MIXED);
    const next = prng(3);
    // odd chunk sizes: every boundary falls somewhere new
    assert.equal(
      await sha256(await decode(encoding, compressed, () => next() % 70_000)),
      MIXED_SHA,
    );
    assert.equal(await sha256(await decode(encoding, compressed, () => Infinity)), MIXED_SHA);
  });

  Deno.test(`${encoding}: decodes concatenated streams as ${TOOLS[encoding]} -d does`, async () => {
    const first = textLike(300_000, 4);
    const second = randomBytes(200_000, 5);
    const tiny = new TextEncoder().encode("a");
    const joined = concat(
      await compress(encoding, first),
      await compress(encoding, tiny),
      await compress(encoding, new Uint8Array(0)),
      await compress(encoding, second),
      await compress(encoding, tiny),
    );
    const expected = await sha256(concat(first, tiny, second, tiny));
    assert.equal(await sha256(await decompress(encoding, joined)), expected);
    assert.equal(await sha256(await decode(encoding, joined, () => Infinity)), expected);
    const next = prng(6);
    assert.equal(await sha256(await decode(encoding, joined, () => next() % 4096)), expected);
  });

  Deno.test(`${encoding}: corrupt input is refused`, async () => {
    const compressed = await compress(
      encoding,
      concat(textLike(1 << 20, 7), randomBytes(1 << 20, 8)),
    );
    for (const at of [0.3, 0.75]) {
      const corrupt = compressed.slice();
      const offset = Math.floor(corrupt.byteLength * at);
      for (let i = offset; i < offset + 16; i++) corrupt[i] = corrupt[i]! ^ 0x55;
      await rejectsDecoding(decode(encoding, corrupt), encoding);
    }
  });

  Deno.test(`${encoding}: truncated or empty input is refused`, async () => {
    const compressed = await compress(encoding, textLike(1 << 20, 9));
    for (const length of [compressed.byteLength - 1, compressed.byteLength >> 1, 10, 0]) {
      await rejectsDecoding(
        decode(encoding, compressed.subarray(0, length)),
        encoding,
        /unexpected end/,
      );
    }
  });

  Deno.test(`${encoding}: foreign data and trailing garbage are refused`, async () => {
    const text = new TextEncoder().encode("this is certainly not compressed data, no sir");
    await rejectsDecoding(decode(encoding, text), encoding);
    const compressed = await compress(encoding, text);
    await rejectsDecoding(decode(encoding, concat(compressed, text)), encoding);
  });

  Deno.test(`${encoding}: a decode error errors the writable side too`, async () => {
    const stream = decodeStream(encoding);
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    writer.write(new TextEncoder().encode("garbage, garbage, garbage")).catch(() => {});
    let failure: unknown;
    await reader.read().catch((error) => failure = error);
    assert.ok(failure instanceof ContentEncodingError, String(failure));
    await assert.rejects(writer.write(new Uint8Array([1, 2, 3])), (error) => error === failure);
    await assert.rejects(writer.closed, (error) => error === failure);
  });

  Deno.test(`${encoding}: corruption mid-stream errors a writer with the same error`, async () => {
    // a corrupt stream, then 2 MiB more that the writer is still writing when it is found
    const corrupt = await compress(encoding, textLike(256 * 1024, 17));
    const middle = corrupt.byteLength >> 1;
    for (let i = middle; i < middle + 64; i++) corrupt[i] = corrupt[i]! ^ 0xa5;
    const compressed = concat(corrupt, await compress(encoding, randomBytes(2 << 20, 18)));
    const stream = decodeStream(encoding);
    const writer = stream.writable.getWriter();
    const writing = (async () => {
      for (let offset = 0; offset < compressed.byteLength; offset += 8192) {
        await writer.write(compressed.slice(offset, offset + 8192));
      }
      await writer.close();
    })();
    let failure: unknown;
    await collect(stream.readable).catch((error) => failure = error);
    assert.ok(failure instanceof ContentEncodingError, String(failure));
    await assert.rejects(writing, (error) => error === failure);
    await assert.rejects(writer.closed, (error) => error === failure);
  });

  Deno.test(`${encoding}: an input error passes through as it is`, async () => {
    const compressed = await compress(encoding, textLike(100_000, 10));
    const boom = new Error("connection lost");
    const input = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(compressed.slice(0, 40));
        controller.error(boom);
      },
    });
    await assert.rejects(collect(input.pipeThrough(decodeStream(encoding))), (e) => e === boom);
  });
}

for (const encoding of ENCODABLE) {
  Deno.test(`${encoding}: ${TOOLS[encoding]} -d decodes what encodeStream wrote`, async () => {
    const next = prng(11);
    const encoded = await collect(
      chunks(MIXED, () => next() % 100_000).pipeThrough(encodeStream(encoding)),
    );
    assert.equal(detectEncoding(encoded), encoding);
    assert.ok(encoded.byteLength < MIXED.byteLength * 0.6, `${encoded.byteLength} bytes`);
    assert.equal(await sha256(await decompress(encoding, encoded)), MIXED_SHA);
    assert.equal(await sha256(await decode(encoding, encoded)), MIXED_SHA);
    // empty input encodes to a valid empty stream
    const empty = await collect(chunks(new Uint8Array(0)).pipeThrough(encodeStream(encoding)));
    assert.equal((await decompress(encoding, empty)).byteLength, 0);
    assert.equal((await decode(encoding, empty)).byteLength, 0);
  });

  Deno.test(`${encoding}: encodeStream honours the level`, async () => {
    const data = textLike(1 << 20, 12);
    const [fast, best] = encoding === "zstd" ? [1, 19] : [0, 9];
    const small = await collect(chunks(data).pipeThrough(encodeStream(encoding, { level: best })));
    const large = await collect(chunks(data).pipeThrough(encodeStream(encoding, { level: fast })));
    assert.ok(small.byteLength < large.byteLength, `${small.byteLength} >= ${large.byteLength}`);
    assert.equal(await sha256(await decompress(encoding, small)), await sha256(data));
  });
}
