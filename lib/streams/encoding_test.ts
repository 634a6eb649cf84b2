/**
 * Content encodings: the API (names, detection, arguments, stream ends) and codec specifics.
 * Round trips against the real tools are in encoding_tools_test.ts, memory bounds in
 * encoding_memory_test.ts, throughput in bench/encoding_throughput.ts.
 */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  DECODABLE,
  decodeStream,
  detectEncoding,
  ENCODABLE,
  encodeStream,
  encodingFromFileName,
  isContentEncoding,
  isEncodable,
  supportedEncodings,
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
  rejectsDecoding,
  sha256,
  textLike,
} from "./_testing/encoding_support.ts";

Deno.test("the encodings and what each side can do", () => {
  assert.deepEqual([...CONTENT_ENCODINGS], ["gzip", "xz", "bz2", "zstd"]);
  assert.deepEqual([...DECODABLE], [...CONTENT_ENCODINGS]);
  assert.deepEqual([...ENCODABLE], ["gzip", "xz", "zstd"]);
  assert.ok(Object.isFrozen(CONTENT_ENCODINGS));
  for (const encoding of CONTENT_ENCODINGS) assert.ok(isContentEncoding(encoding));
  for (const other of ["", "GZIP", "deflate", "br", "lz4", null, undefined, 1, {}]) {
    assert.equal(isContentEncoding(other), false, String(other));
  }
  assert.equal(isEncodable("bz2"), false);
  assert.equal(isEncodable("zstd"), true);
});

Deno.test("supportedEncodings: all of them, none with JMP_DISABLE_COMPRESSION=1", () => {
  assert.deepEqual(supportedEncodings({}), ["gzip", "xz", "bz2", "zstd"]);
  assert.deepEqual(supportedEncodings({ JMP_DISABLE_COMPRESSION: "1" }), []);
  assert.deepEqual(supportedEncodings({ JMP_DISABLE_COMPRESSION: "0" }), [...CONTENT_ENCODINGS]);
  assert.deepEqual(supportedEncodings({ JMP_DISABLE_COMPRESSION: "" }), [...CONTENT_ENCODINGS]);
  // the default reads the process environment (not changed here: other test files share it)
  assert.deepEqual(supportedEncodings(), supportedEncodings(Deno.env.toObject()));
});

Deno.test("detectEncoding knows what each tool writes, and nothing else", async () => {
  const hello = new TextEncoder().encode("hello");
  for (const encoding of CONTENT_ENCODINGS) {
    const compressed = await compress(encoding, hello);
    assert.equal(detectEncoding(compressed), encoding);
    assert.equal(detectEncoding(compressed.subarray(0, 2)), undefined, `${encoding}, 2 bytes`);
  }
  assert.equal(detectEncoding(zlib.deflateSync(hello)), undefined);
  assert.equal(detectEncoding(new Uint8Array(0)), undefined);
  assert.equal(detectEncoding(hello), undefined);
  assert.equal(detectEncoding(new Uint8Array([0x1f, 0x8b, 0x07])), undefined);
  assert.equal(detectEncoding(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x01])), undefined);
});

Deno.test("encodingFromFileName", () => {
  const cases: [string, ContentEncoding | undefined][] = [
    ["image.raw.gz", "gzip"],
    ["image.GZIP", "gzip"],
    ["rootfs.ext4.xz", "xz"],
    ["/srv/images/disk.img.bz2", "bz2"],
    ["disk.img.zst", "zstd"],
    ["disk.img.ZSTD", "zstd"],
    ["https://example.com/images/disk.img.xz?token=a.b#frag", "xz"],
    ["https://example.com/images/disk.img?format=.gz", undefined],
    ["disk.img", undefined],
    ["disk.tgz", undefined],
    ["gz", undefined],
    ["archive.gz.tar", undefined],
    ["", undefined],
  ];
  for (const [name, expected] of cases) assert.equal(encodingFromFileName(name), expected, name);
});

Deno.test("null and undefined pass bytes through", async () => {
  for (const none of [null, undefined]) {
    assert.equal(
      await sha256(await collect(chunks(MIXED).pipeThrough(decodeStream(none)))),
      MIXED_SHA,
    );
    assert.equal(
      await sha256(await collect(chunks(MIXED).pipeThrough(encodeStream(none)))),
      MIXED_SHA,
    );
  }
});

Deno.test("bad arguments throw RangeErrors", () => {
  assert.throws(() => decodeStream("lz4" as ContentEncoding), RangeError);
  assert.throws(() => encodeStream("br" as ContentEncoding), /Unknown content encoding "br"/);
  assert.throws(() => encodeStream("bz2"), (error: unknown) => {
    assert.ok(error instanceof RangeError);
    assert.match(error.message, /^Cannot encode bz2 data: .*encodable: gzip, xz, zstd/);
    return true;
  });
  assert.throws(() => encodeStream("gzip", { level: 10 }), /Invalid gzip level 10/);
  assert.throws(() => encodeStream("zstd", { level: 0 }), RangeError);
  assert.throws(() => encodeStream("xz", { level: 2.5 }), RangeError);
});

Deno.test("closing the writable side waits until the last output chunk is out", async () => {
  const data = textLike(300_000, 19);
  for (const encoding of ENCODABLE) {
    const stream = encodeStream(encoding);
    const received: Uint8Array[] = [];
    const reading = (async () => {
      for await (const chunk of stream.readable) received.push(chunk);
    })();
    const writer = stream.writable.getWriter();
    await writer.write(data);
    await writer.close();
    // the trailer (gzip's CRC, xz's index and footer, zstd's checksum) is out already
    assert.equal(await sha256(await decompress(encoding, concat(...received))), await sha256(data));
    await reading;
  }
});

Deno.test("zstd: encodeStream writes a content checksum, which decoding checks", async () => {
  const encoded = await collect(chunks(textLike(200_000, 13)).pipeThrough(encodeStream("zstd")));
  const descriptor = encoded[4]!;
  assert.ok(descriptor & 0x04, "checksum flag");
  const corrupt = encoded.slice();
  corrupt[corrupt.byteLength - 1] = corrupt[corrupt.byteLength - 1]! ^ 1;
  await rejectsDecoding(decode("zstd", corrupt), "zstd", /checksum/);
});

Deno.test("zstd: skippable frames are skipped, huge windows refused", async () => {
  const data = textLike(100_000, 15);
  const frame = await compress("zstd", data);
  const skippable = new Uint8Array([0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  const joined = concat(skippable, frame, skippable, frame);
  const expected = await sha256(concat(data, data));
  assert.equal(await sha256(await decompress("zstd", joined)), expected);
  assert.equal(await sha256(await decode("zstd", joined, () => 5)), expected);
  // a window of 256 MiB, over what `zstd -d` allocates without --memory
  const encoded = await collect(chunks(data).pipeThrough(encodeStream("zstd")));
  assert.equal(encoded[4]! & 0x20, 0, "a window descriptor follows");
  encoded[5] = (28 - 10) << 3;
  await rejectsDecoding(decode("zstd", encoded), "zstd", /window of 256 MiB/);
});

Deno.test("gzip: zlib-wrapped deflate decodes too", async () => {
  const data = textLike(1 << 20, 14);
  const expected = await sha256(data);
  const deflate = new CompressionStream("deflate") as unknown as TransformStream<
    Uint8Array,
    Uint8Array
  >;
  const web = await collect(chunks(data).pipeThrough(deflate));
  const node = zlib.deflateSync(data, { level: 9 });
  for (const wrapped of [web, new Uint8Array(node.buffer, node.byteOffset, node.byteLength)]) {
    assert.equal(detectEncoding(wrapped), undefined);
    assert.equal(await sha256(await decode("gzip", wrapped)), expected);
    // the first two bytes, which tell zlib from gzip, in separate chunks
    let calls = 0;
    assert.equal(
      await sha256(await decode("gzip", wrapped, () => calls++ < 3 ? 1 : 5000)),
      expected,
    );
  }
  // raw deflate has neither header
  await rejectsDecoding(decode("gzip", zlib.deflateRawSync(data)), "gzip", /neither gzip nor zlib/);
});
