/**
 * Content encodings, checked against Debian's command-line tools (gzip, xz-utils, bzip2, zstd):
 * what they compress decodes to the same bytes, and what encodeStream writes they decode.
 */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { withDeadline } from "@jumpstarter/lib/testing";
import {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  ContentEncodingError,
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

const TOOLS: Record<ContentEncoding, string> = {
  gzip: "gzip",
  xz: "xz",
  bz2: "bzip2",
  zstd: "zstd",
};

/** Runs a compression tool on `input` (through a file) and returns what it wrote. */
async function tool(encoding: ContentEncoding, args: string[], input: Uint8Array) {
  const path = await Deno.makeTempFile({ prefix: "jmp-encoding-" });
  try {
    await Deno.writeFile(path, input);
    const { success, stdout, stderr } = await new Deno.Command(TOOLS[encoding], {
      args: ["-c", "-q", ...args, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(success, `${TOOLS[encoding]} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
    return stdout;
  } finally {
    await Deno.remove(path);
  }
}

const compress = (encoding: ContentEncoding, input: Uint8Array, ...args: string[]) =>
  tool(encoding, args, input);
const decompress = (encoding: ContentEncoding, input: Uint8Array) => tool(encoding, ["-d"], input);

/** mulberry32: the same bytes on every run. */
function prng(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return new Uint8Array(words.buffer, 0, length);
}

/** A disk image as flashed: zeros, with a 4 KiB block of noise in every MiB. */
function mostlyZeroImage(length: number, seed: number): Uint8Array {
  const image = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 1 << 20) {
    image.set(randomBytes(Math.min(4096, length - offset), seed + offset), offset);
  }
  return image;
}

function textLike(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const words = ["jumpstarter", "exporter", "lease", "flash", "power", "serial", "the", "a", "of"];
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const word = words[next() % words.length]! + (next() % 7 === 0 ? ".\n" : " ");
    parts.push(word);
    size += word.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, length);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

/** `data` as a stream of chunks whose sizes `size()` picks. */
function chunks(data: Uint8Array, size: () => number = () => 64 * 1024) {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.byteLength) {
        controller.close();
        return;
      }
      const end = Math.min(data.byteLength, offset + Math.max(1, size()));
      controller.enqueue(data.slice(offset, end));
      offset = end;
    },
  }, { highWaterMark: 0 });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return concat(...parts);
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const decode = (encoding: ContentEncoding, data: Uint8Array, size?: () => number) =>
  collect(chunks(data, size).pipeThrough(decodeStream(encoding)));

/** Checks that `promise` rejects with a ContentEncodingError of `encoding` matching `pattern`. */
async function rejectsDecoding(
  promise: Promise<unknown>,
  encoding: ContentEncoding,
  pattern: RegExp = /./,
) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ContentEncodingError, `not a ContentEncodingError: ${error}`);
    assert.ok(error instanceof TypeError);
    assert.equal(error.encoding, encoding);
    assert.equal(error.operation, "decode");
    assert.match(error.message, new RegExp(`^Cannot decode ${encoding} data: `));
    assert.match(error.message, pattern);
    return true;
  });
}

/** 3 MiB that exercises every path: text, noise and a run of zeros. */
const MIXED = concat(textLike(1536 * 1024, 1), randomBytes(1 << 20, 2), new Uint8Array(512 * 1024));
const MIXED_SHA = await sha256(MIXED);

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

// CPU-bound: 65 s on a busy two-core machine
Deno.test(
  "decode throughput (32 MiB mostly-zero image, 4 MiB random)",
  withDeadline(300_000, async () => {
    // printed, not asserted: what decoding a 1 GiB image costs, per encoding
    const images = [
      { name: "32 MiB mostly-zero", data: mostlyZeroImage(32 << 20, 15) },
      { name: "4 MiB random", data: randomBytes(4 << 20, 16) },
    ];
    const rows: string[] = [];
    for (const { name, data } of images) {
      const expected = await sha256(data);
      for (const encoding of CONTENT_ENCODINGS) {
        const compressed = await compress(encoding, data);
        let seconds = Infinity; // the best of three runs: the machine may be busy with others
        for (let run = 0; run < 3; run++) {
          const started = performance.now();
          const decoded = await decode(encoding, compressed);
          seconds = Math.min(seconds, (performance.now() - started) / 1000);
          if (run === 0) assert.equal(await sha256(decoded), expected);
        }
        const rate = data.byteLength / (1 << 20) / seconds;
        let encodeRate = "";
        if (isEncodable(encoding)) {
          const encodeStarted = performance.now();
          await collect(chunks(data).pipeThrough(encodeStream(encoding)));
          const encodeSeconds = (performance.now() - encodeStarted) / 1000;
          encodeRate = `, encode ${(data.byteLength / (1 << 20) / encodeSeconds).toFixed(1)} MiB/s`;
        }
        rows.push(
          `${name.padEnd(18)} ${encoding.padEnd(4)} ${
            String(compressed.byteLength).padStart(8)
          } B` +
            ` -> decode ${rate.toFixed(1).padStart(7)} MiB/s` +
            ` (1 GiB alike: ${(1024 / rate).toFixed(1)} s)${encodeRate}`,
        );
      }
    }
    console.log(`\n${rows.join("\n")}`);
  }),
);
