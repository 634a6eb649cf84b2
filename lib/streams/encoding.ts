/**
 * Content encodings of resource byte streams (`x_jmp_content_encoding`): a client says how the
 * bytes it uploads are compressed, or asks for a download compressed; the exporter decodes the
 * former and encodes the latter. Everything here streams, pulled by the reader: a codec works only
 * while its output is read, and a write resolves only once the codec took the chunk, so
 * backpressure runs from the reader to the writer. What a codec holds besides its own state (an
 * xz dictionary, a zstd window of at most 128 MiB): zlib a few chunks of 64 KiB; xz 18 input
 * chunks (read ahead by @napi-rs/lzma) and 64 KiB out; zstd the output of 1 KiB of input (at most
 * 32 MiB, for runs of zeros); bzip2 one block in (900 kB) and its output (usually 900 kB, at most
 * about 46 MB for runs).
 *
 * | encoding | decode                                                   | encode                    |
 * | -------- | -------------------------------------------------------- | ------------------------- |
 * | gzip     | `node:zlib` gunzip, or inflate for zlib-wrapped deflate  | `node:zlib` gzip          |
 * | xz       | `@napi-rs/lzma` (native, Rust)                           | `@napi-rs/lzma`           |
 * | bz2      | `unbzip2-stream`'s block decoder, one block per step     | not available             |
 * | zstd     | `fzstd`, content checksums checked with `xxhash-wasm`    | `node:zlib` zstd          |
 *
 * xz needs the `--allow-env` and `--allow-ffi` permissions (a Node-API addon); it is loaded on
 * first use only. Deno's own `node:zlib` zstd decoder is not used: it drops a second frame that
 * arrives in the same chunk as the end of the first, does not notice truncated input, and throws
 * corrupt-data errors past its stream's `error` event (uncaught).
 *
 * @module
 */
import zlib from "node:zlib";
import type { Transform } from "node:stream";
import { Decompress as ZstdDecompress } from "fzstd";
import xxhash from "xxhash-wasm";
import bzip2Module from "unbzip2-stream/lib/bzip2.js";
import * as lzmaXz from "@napi-rs/lzma/xz";

/** A compression of a resource's bytes, as `x_jmp_content_encoding` names it. */
export type ContentEncoding = "gzip" | "xz" | "bz2" | "zstd";

/** Every content encoding of the protocol. */
export const CONTENT_ENCODINGS: readonly ContentEncoding[] = Object.freeze<ContentEncoding[]>([
  "gzip",
  "xz",
  "bz2",
  "zstd",
]);

/** The encodings {@linkcode decodeStream} reads: all of them. */
export const DECODABLE: readonly ContentEncoding[] = CONTENT_ENCODINGS;

/** The encodings {@linkcode encodeStream} writes. bz2 is missing: no streaming encoder. */
export const ENCODABLE: readonly ContentEncoding[] = Object.freeze<ContentEncoding[]>([
  "gzip",
  "xz",
  "zstd",
]);

/** Whether `x` names a content encoding. */
export function isContentEncoding(x: unknown): x is ContentEncoding {
  return typeof x === "string" && (CONTENT_ENCODINGS as readonly string[]).includes(x);
}

/** Whether {@linkcode encodeStream} can produce `encoding`. */
export function isEncodable(encoding: ContentEncoding): boolean {
  return ENCODABLE.includes(encoding);
}

/**
 * The encodings this side accepts: every decodable one, or none when `JMP_DISABLE_COMPRESSION`
 * is `1` (as upstream, only that exact value).
 */
export function supportedEncodings(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): ContentEncoding[] {
  return env.JMP_DISABLE_COMPRESSION === "1" ? [] : [...DECODABLE];
}

/** The encoding whose magic bytes `firstBytes` starts with, if any (zlib has no magic). */
export function detectEncoding(firstBytes: Uint8Array): ContentEncoding | undefined {
  const startsWith = (magic: readonly number[]) =>
    firstBytes.length >= magic.length && magic.every((byte, i) => firstBytes[i] === byte);
  if (startsWith([0x1f, 0x8b, 0x08])) return "gzip";
  if (startsWith([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith([0x42, 0x5a, 0x68])) return "bz2";
  if (startsWith([0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  return undefined;
}

/**
 * The encoding a file name's extension implies (`.gz`/`.gzip`, `.xz`, `.bz2`, `.zst`/`.zstd`,
 * any case); for a URL, that of its path.
 */
export function encodingFromFileName(name: string): ContentEncoding | undefined {
  let path = name;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) {
    try {
      path = new URL(name).pathname;
    } catch {
      // not a URL after all: use the name as it is
    }
  }
  const match = /\.([a-z0-9]+)$/i.exec(path);
  switch (match?.[1]?.toLowerCase()) {
    case "gz":
    case "gzip":
      return "gzip";
    case "xz":
      return "xz";
    case "bz2":
      return "bz2";
    case "zst":
    case "zstd":
      return "zstd";
    default:
      return undefined;
  }
}

/**
 * What a codec failed on: corrupt, truncated or foreign input when decoding. A `TypeError`, with
 * a message that names the encoding (`Cannot decode xz data: ...`) and the library's error as
 * `cause`.
 */
export class ContentEncodingError extends TypeError {
  readonly encoding: ContentEncoding;
  readonly operation: "decode" | "encode";

  constructor(
    operation: "decode" | "encode",
    encoding: ContentEncoding,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot ${operation} ${encoding} data: ${detail}`, options);
    this.name = "ContentEncodingError";
    this.encoding = encoding;
    this.operation = operation;
  }
}

/** Options of {@linkcode encodeStream}. */
export interface EncodeOptions {
  /**
   * Compression level: gzip 0-9 (default 6), xz preset 0-9 (default 6), zstd 1-19 (default 3).
   */
  level?: number;
}

/**
 * A transform that decodes `encoding` (identity for `null`/`undefined`). gzip accepts gzip
 * (members may be concatenated) or zlib-wrapped deflate, told apart by the first two bytes; xz,
 * bz2 and zstd accept concatenated streams/frames, as their command-line tools do. Corrupt,
 * truncated or empty input, or bytes after the end, error the readable side with a
 * {@linkcode ContentEncodingError} (and the writable side with the same error).
 */
export function decodeStream(
  encoding: ContentEncoding | null | undefined,
): TransformStream<Uint8Array, Uint8Array> {
  if (encoding === null || encoding === undefined) return new TransformStream();
  switch (checkEncoding(encoding)) {
    case "gzip":
      return new CodecStream("decode", "gzip", generatorCodec(gzipDecode));
    case "xz":
      return new CodecStream(
        "decode",
        "xz",
        async (input) => (await loadXz()).decompressStream(input),
      );
    case "bz2":
      return new CodecStream("decode", "bz2", generatorCodec(bz2Decode));
    case "zstd":
      return new CodecStream("decode", "zstd", generatorCodec(zstdDecode));
  }
}

/**
 * A transform that encodes into `encoding` (identity for `null`/`undefined`): one gzip member,
 * one xz stream or one zstd frame (with its content checksum). Throws a `RangeError` for an
 * encoding outside {@linkcode ENCODABLE} (bz2) or a level out of range.
 */
export function encodeStream(
  encoding: ContentEncoding | null | undefined,
  options: EncodeOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  if (encoding === null || encoding === undefined) return new TransformStream();
  switch (checkEncoding(encoding)) {
    case "gzip": {
      const level = checkLevel("gzip", options.level, 0, 9) ?? 6;
      return new CodecStream(
        "encode",
        "gzip",
        generatorCodec((input) =>
          nodeTransformChunks(zlib.createGzip({ level, chunkSize: NODE_CHUNK }), input)
        ),
      );
    }
    case "xz": {
      const preset = checkLevel("xz", options.level, 0, 9) ?? 6;
      return new CodecStream(
        "encode",
        "xz",
        async (input) => (await loadXz()).compressStream(input, { preset }),
      );
    }
    case "zstd": {
      const level = checkLevel("zstd", options.level, 1, 19) ?? 3;
      const { ZSTD_c_compressionLevel, ZSTD_c_checksumFlag } = zlib.constants;
      return new CodecStream(
        "encode",
        "zstd",
        generatorCodec((input) =>
          nodeTransformChunks(
            zlib.createZstdCompress({
              chunkSize: NODE_CHUNK,
              params: { [ZSTD_c_compressionLevel]: level, [ZSTD_c_checksumFlag]: 1 },
            }),
            input,
          )
        ),
      );
    }
    case "bz2":
      throw new RangeError(
        `Cannot encode bz2 data: no streaming bzip2 encoder is available (encodable: ${
          ENCODABLE.join(", ")
        })`,
      );
  }
}

function checkEncoding(encoding: unknown): ContentEncoding {
  if (isContentEncoding(encoding)) return encoding;
  throw new RangeError(
    `Unknown content encoding ${JSON.stringify(encoding)}: expected one of ${
      CONTENT_ENCODINGS.join(", ")
    }`,
  );
}

function checkLevel(
  encoding: ContentEncoding,
  level: number | undefined,
  min: number,
  max: number,
): number | undefined {
  if (level === undefined) return undefined;
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new RangeError(`Invalid ${encoding} level ${level}: expected an integer ${min}-${max}`);
  }
  return level;
}

// ---------------------------------------------------------------------------------------------
// Plumbing: a codec is a function from its input stream to its output stream; CodecStream gives
// it a writable side, names the encoding in its errors and ties the two sides' ends together.

type Codec = (
  input: ReadableStream<Uint8Array>,
) => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>;

/**
 * A TransformStream whose two sides are a codec's own input and output. (A plain transformer can
 * only enqueue, and cannot wait for the reader between the output chunks of one input chunk: a
 * 1 KiB chunk of a compressed disk image can hold gigabytes of zeros.)
 */
class CodecStream extends TransformStream<Uint8Array, Uint8Array> {
  override readonly readable: ReadableStream<Uint8Array>;
  override readonly writable: WritableStream<Uint8Array>;

  constructor(operation: "decode" | "encode", encoding: ContentEncoding, codec: Codec) {
    super();
    // Writes resolve once the codec reads them (the readable side of a TransformStream has no
    // queue of its own), and cancelling inputReader errors the writable side.
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const inputReader = pipe.readable.getReader();
    let inputDone = false;
    let inputError: { reason: unknown } | undefined;
    let consumerCancelled = false;
    let failure: { reason: unknown } | undefined;
    // Settles when the codec has produced its last chunk: closing the writable side waits for it,
    // as closing a TransformStream's waits for its flush.
    const { promise: outputDone, resolve: outputEnded, reject: outputFailed } = Promise
      .withResolvers<void>();
    outputDone.catch(() => {});
    /** The first error of the codec, as both sides report it; ends the writable side. */
    const fail = (error: unknown): unknown => {
      failure ??= {
        reason: inputError ? inputError.reason : asCodecError(operation, encoding, error),
      };
      inputReader.cancel(failure.reason).catch(() => {});
      outputFailed(failure.reason);
      return failure.reason;
    };
    const input = new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await inputReader.read();
          } catch (reason) {
            inputError = { reason };
            throw reason;
          }
          if (result.done) {
            inputDone = true;
            controller.close();
            return;
          }
          const chunk: unknown = result.value;
          if (!(chunk instanceof Uint8Array)) {
            const reason = new ContentEncodingError(
              operation,
              encoding,
              "chunks must be Uint8Array",
            );
            inputError = { reason };
            throw reason;
          }
          if (chunk.byteLength > 0) {
            controller.enqueue(chunk);
            return;
          }
        }
      },
      async cancel(reason) {
        // the reader went away, or the codec gave up on its input
        if (consumerCancelled) await inputReader.cancel(reason);
        else fail(reason);
      },
    }, { highWaterMark: 0 });

    let output: ReadableStreamDefaultReader<Uint8Array> | undefined;
    this.readable = new ReadableStream<Uint8Array>({
      async start() {
        try {
          output = (await codec(input)).getReader();
        } catch (error) {
          throw fail(error);
        }
      },
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await output!.read();
        } catch (error) {
          throw fail(error);
        }
        if (!result.done) {
          controller.enqueue(result.value);
          return;
        }
        if (!inputDone) {
          // A codec that ends before its input does: refuse the rest rather than drop it.
          throw fail(new Error("unexpected data after the end of the compressed stream"));
        }
        controller.close();
        outputEnded();
      },
      async cancel(reason) {
        consumerCancelled = true;
        outputFailed(reason);
        await Promise.allSettled([output?.cancel(reason), inputReader.cancel(reason)]);
      },
    }, { highWaterMark: 1 });
    const writer = pipe.writable.getWriter();
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => writer.write(chunk),
      async close() {
        await writer.close();
        await outputDone;
      },
      abort: (reason) => writer.abort(reason),
    });
  }
}

function asCodecError(
  operation: "decode" | "encode",
  encoding: ContentEncoding,
  error: unknown,
): ContentEncodingError {
  if (error instanceof ContentEncodingError) return error;
  let detail = error instanceof Error ? error.message : String(error);
  // io::ErrorKind::UnexpectedEof as @napi-rs/lzma reports it
  if (/failed to fill whole buffer/i.test(detail)) detail = `unexpected end of input (${detail})`;
  return new ContentEncodingError(operation, encoding, detail, { cause: error });
}

/** A codec written as a generator of output chunks that reads its input with `reader`. */
function generatorCodec(
  generator: (reader: ReadableStreamDefaultReader<Uint8Array>) => AsyncGenerator<Uint8Array>,
): Codec {
  return (input) => {
    const reader = input.getReader();
    const chunks = generator(reader);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const result = await chunks.next();
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => {});
        chunks.return(undefined).catch(() => {});
      },
    }, { highWaterMark: 0 });
  };
}

/** Reads chunks until at least `count` bytes arrived (or the input ended). */
async function readAtLeast(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
): Promise<{ chunks: Uint8Array[]; length: number; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < count) {
    const result = await reader.read();
    if (result.done) return { chunks, length, done: true };
    chunks.push(result.value);
    length += result.value.byteLength;
  }
  return { chunks, length, done: false };
}

/** Output chunk size of the node:zlib streams and of the bzip2 decoder. */
const NODE_CHUNK = 64 * 1024;

/**
 * Runs `prefix` and then the rest of `reader`'s input through a node:zlib stream: written as it
 * drains, read as the reader reads (zlib stops inflating while its readable buffer is full).
 */
async function* nodeTransformChunks(
  stream: Transform,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  prefix: readonly Uint8Array[] = [],
): AsyncGenerator<Uint8Array> {
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        stream.off("error", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
      stream.on("error", done);
    });
  const write = async (chunk: Uint8Array) => {
    if (!stream.write(chunk)) await drained();
  };
  const pump = async () => {
    try {
      for (const chunk of prefix) await write(chunk);
      for (;;) {
        const result = await reader.read();
        if (result.done || stream.destroyed) break;
        await write(result.value);
      }
      if (!stream.destroyed) stream.end();
    } catch (error) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  };
  // Not awaited: after an error the pump waits for its input, which ends once the error got out.
  void pump();
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } finally {
    stream.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// gzip: gzip members, or one zlib-wrapped deflate stream (upstream decodes with wbits=47).

async function* gzipDecode(reader: ReadableStreamDefaultReader<Uint8Array>) {
  const head = await readAtLeast(reader, 2);
  if (head.length === 0) throw new Error("unexpected end of input (no data)");
  const first = concat(head.chunks, 2);
  const gzip = first.length < 2 || (first[0] === 0x1f && first[1] === 0x8b);
  // A zlib header: deflate (method 8) with a window of at most 32 KiB, and a multiple of 31.
  const zlibHeader = (first[0]! & 0x8f) === 0x08 && ((first[0]! << 8) | first[1]!) % 31 === 0;
  if (!gzip && !zlibHeader) throw new Error("neither gzip nor zlib data (no gzip or zlib header)");
  const stream = gzip
    ? zlib.createGunzip({ chunkSize: NODE_CHUNK })
    : zlib.createInflate({ chunkSize: NODE_CHUNK });
  yield* nodeTransformChunks(stream, reader, head.chunks);
}

/** The first `limit` bytes of `chunks`, joined. */
function concat(chunks: readonly Uint8Array[], limit = Infinity): Uint8Array {
  const length = Math.min(limit, chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= length) break;
    const part = chunk.subarray(0, length - offset);
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

// ---------------------------------------------------------------------------------------------
// xz: @napi-rs/lzma's WHATWG transforms (native, tokio-backed; they pull their input on demand).

interface XzModule {
  decompressStream(input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
  compressStream(
    input: ReadableStream<Uint8Array>,
    options?: { preset?: number },
  ): ReadableStream<Uint8Array>;
}

/** The native xz addon, imported statically so `deno compile` bundles it. */
function loadXz(): Promise<XzModule> {
  return Promise.resolve(lzmaXz as unknown as XzModule);
}

// ---------------------------------------------------------------------------------------------
// bz2: unbzip2-stream's decoder, driven one block at a time. Its public through-stream decodes
// everything it has buffered in one synchronous call (a stream of zeros in a few hundred bytes
// decodes to gigabytes in one go), so its block decoder (lib/bzip2.js, pinned) is driven here:
// each block is decoded once enough input is buffered, and its output is handed over before the
// next block is decoded.

/** Reads `n` bits MSB-first, or with `null` skips to the next byte boundary. */
type BitReader = (n: number | null) => number;

/** The part of unbzip2-stream's lib/bzip2.js used here (it keeps tables on itself: call as methods). */
interface Bzip2Decoder {
  /** Reads "BZh" and the level; returns the block size in units of 100 kB. */
  header(bits: BitReader): number;
  /**
   * Decodes one block into `write` (CRC checked); or reads the end-of-stream marker, checks the
   * combined CRC, byte-aligns and returns null. Returns the running combined CRC.
   */
  decompress(
    bits: BitReader,
    write: (byte: number) => void,
    buffer: Int32Array,
    bufferSize: number,
    streamCrc: number,
  ): number | null;
}

const bzip2 = bzip2Module as Bzip2Decoder;

/** Thrown by {@linkcode BitQueue} when it runs out of buffered input. */
const NEED_INPUT = Symbol("need input");

/** Buffered input chunks read as bits, with a position to go back to when a block was cut off. */
class BitQueue {
  #chunks: Uint8Array[] = [];
  #index = 0;
  #offset = 0;
  #bit = 0;
  #buffered = 0;
  #consumed = 0;

  get available(): number {
    return this.#buffered - this.#consumed - this.#offset;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
  }

  mark(): [number, number, number, number] {
    return [this.#index, this.#offset, this.#bit, this.#consumed];
  }

  reset([index, offset, bit, consumed]: [number, number, number, number]): void {
    this.#index = index;
    this.#offset = offset;
    this.#bit = bit;
    this.#consumed = consumed;
  }

  /** Drops the chunks already read. */
  compact(): void {
    if (this.#index === 0) return;
    for (const chunk of this.#chunks.splice(0, this.#index)) {
      this.#buffered -= chunk.byteLength;
      this.#consumed -= chunk.byteLength;
    }
    this.#index = 0;
  }

  /** Whether the unread bytes (at a byte boundary) start with `bytes`. */
  startsWith(bytes: readonly number[]): boolean {
    let index = this.#index;
    let offset = this.#offset;
    for (const byte of bytes) {
      while (index < this.#chunks.length && offset >= this.#chunks[index]!.byteLength) {
        index++;
        offset = 0;
      }
      if (this.#chunks[index]?.[offset] !== byte) return false;
      offset++;
    }
    return true;
  }

  readonly bits: BitReader = (n) => {
    if (n === null) {
      if (this.#bit !== 0) {
        this.#bit = 0;
        this.#offset++;
      }
      return 0;
    }
    let result = 0;
    while (n > 0) {
      let chunk = this.#chunks[this.#index];
      while (chunk !== undefined && this.#offset >= chunk.byteLength) {
        this.#consumed += chunk.byteLength;
        this.#offset = 0;
        chunk = this.#chunks[++this.#index];
      }
      if (chunk === undefined) throw NEED_INPUT;
      const byte = chunk[this.#offset]!;
      const left = 8 - this.#bit;
      if (n >= left) {
        result = (result << left) | (byte & ((1 << left) - 1));
        this.#bit = 0;
        this.#offset++;
        n -= left;
      } else {
        result = (result << n) | ((byte >> (left - n)) & ((1 << n) - 1));
        this.#bit += n;
        n = 0;
      }
    }
    return result;
  };
}

/** Input held back before a block is decoded: a whole compressed block fits (as upstream). */
const bz2Lookahead = (level: number) => 100_000 * level + 25_000;

async function* bz2Decode(reader: ReadableStreamDefaultReader<Uint8Array>) {
  const queue = new BitQueue();
  let ended = false;
  const fill = async (bytes: number) => {
    while (!ended && queue.available < bytes) {
      const result = await reader.read();
      if (result.done) ended = true;
      else queue.push(result.value);
    }
  };
  let output = new Uint8Array(NODE_CHUNK);
  let written = 0;
  let ready: Uint8Array[] = [];
  const write = (byte: number) => {
    output[written++] = byte;
    if (written === output.length) {
      ready.push(output);
      output = new Uint8Array(NODE_CHUNK);
      written = 0;
    }
  };
  /** Runs `step` from the current position until it has all the input it needs. */
  const whole = async <T>(step: () => T): Promise<T> => {
    for (;;) {
      const mark = queue.mark();
      try {
        return step();
      } catch (error) {
        if (error !== NEED_INPUT) throw error;
        if (ended) throw new Error("unexpected end of input (truncated)");
        queue.reset(mark);
        ready = [];
        written = 0;
        await fill(queue.available + 1);
      }
    }
  };

  let buffer = new Int32Array(0);
  for (let streams = 0;; streams++) {
    await fill(4);
    if (queue.available === 0) {
      if (streams === 0) throw new Error("unexpected end of input (no data)");
      return;
    }
    if (streams > 0 && !queue.startsWith([0x42, 0x5a, 0x68])) {
      throw new Error("unexpected data after the end of the compressed stream");
    }
    const level = await whole(() => bzip2.header(queue.bits));
    const size = 100_000 * level;
    if (buffer.length !== size) buffer = new Int32Array(size);
    let crc: number | null = 0;
    for (;;) {
      await fill(bz2Lookahead(level));
      const streamCrc: number = crc;
      crc = await whole(() => bzip2.decompress(queue.bits, write, buffer, size, streamCrc));
      queue.compact();
      if (written > 0) {
        ready.push(output.subarray(0, written));
        output = new Uint8Array(NODE_CHUNK);
        written = 0;
      }
      const blocks = ready;
      ready = [];
      yield* blocks;
      if (crc === null) break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// zstd: fzstd decodes; the frames are tracked here (header fields and block sizes only) to check
// each frame's content checksum (XXH64, which fzstd skips) and to tell a truncated stream.

/** Input handed to fzstd at a time: it decodes to at most 256 RLE blocks (32 MiB). */
const ZSTD_SLICE = 1024;
const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_MAX_BLOCK = 128 * 1024;
/** The zstd tool's default limit when decoding (--memory=128MB, window log 27). */
const ZSTD_MAX_WINDOW = 128 * 1024 * 1024;

const enum Frame {
  Magic,
  Descriptor,
  Header,
  BlockHeader,
  Block,
  Checksum,
  SkippableSize,
  Skippable,
}

/** Follows zstd frames byte by byte: where each ends, and the checksum it ends with. */
class ZstdFrames {
  #state = Frame.Magic;
  #field = new Uint8Array(16);
  #need = 4;
  #have = 0;
  #skip = 0;
  #checksummed = false;
  #singleSegment = false;
  #dictionary = 0;
  #contentSize = 0;
  #last = false;
  #seen = 0;
  #frames = 0;
  /** The content checksum of the frame that ended last, if it has one. */
  checksum: number | undefined;

  /** No frame was started. */
  get empty(): boolean {
    return this.#seen === 0;
  }

  /** Between frames (or before the first). */
  get atBoundary(): boolean {
    return this.#state === Frame.Magic && this.#have === 0;
  }

  /** Follows `chunk` up to the end of a frame: returns how many bytes that took, or -1. */
  scan(chunk: Uint8Array): number {
    this.#seen += chunk.byteLength;
    let i = 0;
    while (i < chunk.byteLength) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.byteLength - i);
        i += n;
        this.#skip -= n;
        if (this.#skip === 0 && this.#skipped()) return i;
        continue;
      }
      this.#field[this.#have++] = chunk[i++]!;
      if (this.#have === this.#need) {
        this.#have = 0;
        if (this.#complete()) return i;
      }
    }
    return -1;
  }

  #expect(state: Frame, bytes: number): void {
    this.#state = state;
    this.#need = bytes;
  }

  #u32(): number {
    const f = this.#field;
    return (f[0]! | f[1]! << 8 | f[2]! << 16 | f[3]! << 24) >>> 0;
  }

  /** A fixed-size field is complete; returns whether a frame ended. */
  #complete(): boolean {
    switch (this.#state) {
      case Frame.Magic: {
        const magic = this.#u32();
        this.#frames++;
        if (magic === ZSTD_MAGIC) {
          this.#expect(Frame.Descriptor, 1);
        } else if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
          this.#expect(Frame.SkippableSize, 4);
        } else {
          throw new Error(
            this.#frames === 1 ? "not zstd data (no frame magic)" : "unexpected data after a frame",
          );
        }
        return false;
      }
      case Frame.Descriptor: {
        const descriptor = this.#field[0]!;
        if (descriptor & 0x08) throw new Error("corrupt frame header (reserved bit set)");
        this.#singleSegment = (descriptor & 0x20) !== 0;
        this.#checksummed = (descriptor & 0x04) !== 0;
        this.#contentSize = [this.#singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
        this.#dictionary = [0, 1, 2, 4][descriptor & 3]!;
        const fields = (this.#singleSegment ? 0 : 1) + this.#dictionary + this.#contentSize;
        if (fields > 0) this.#expect(Frame.Header, fields);
        else this.#expect(Frame.BlockHeader, 3);
        return false;
      }
      case Frame.Header: {
        // window descriptor, dictionary id, content size: the window is what decoding allocates
        const f = this.#field;
        let window = 0;
        if (!this.#singleSegment) {
          const base = 2 ** (10 + (f[0]! >> 3));
          window = base + (base / 8) * (f[0]! & 7);
        } else {
          const at = this.#dictionary;
          for (let i = this.#contentSize - 1; i >= 0; i--) window = window * 256 + f[at + i]!;
          if (this.#contentSize === 2) window += 256;
        }
        if (window > ZSTD_MAX_WINDOW) {
          throw new Error(
            `window of ${Math.ceil(window / 2 ** 20)} MiB is over the 128 MiB limit (zstd --long?)`,
          );
        }
        this.#expect(Frame.BlockHeader, 3);
        return false;
      }
      case Frame.BlockHeader: {
        const f = this.#field;
        const header = f[0]! | f[1]! << 8 | f[2]! << 16;
        this.#last = (header & 1) === 1;
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw new Error("corrupt block header (reserved block type)");
        if (size > ZSTD_MAX_BLOCK) throw new Error("corrupt block header (block too large)");
        this.#skip = type === 1 ? 1 : size;
        this.#state = Frame.Block;
        return this.#skip === 0 ? this.#blockDone() : false;
      }
      case Frame.Checksum:
        this.checksum = this.#u32();
        this.#expect(Frame.Magic, 4);
        return true;
      case Frame.SkippableSize:
        this.#skip = this.#u32();
        this.#state = Frame.Skippable;
        return this.#skip === 0 ? this.#skipped() : false;
      default:
        throw new Error(`zstd frame tracker: no field in state ${this.#state}`);
    }
  }

  /** A skipped run of bytes ended; returns whether a frame ended. */
  #skipped(): boolean {
    switch (this.#state) {
      case Frame.Block:
        return this.#blockDone();
      default: // Frame.Skippable
        this.checksum = undefined;
        this.#expect(Frame.Magic, 4);
        return true;
    }
  }

  #blockDone(): boolean {
    if (!this.#last) {
      this.#expect(Frame.BlockHeader, 3);
      return false;
    }
    if (this.#checksummed) {
      this.#expect(Frame.Checksum, 4);
      return false;
    }
    this.checksum = undefined;
    this.#expect(Frame.Magic, 4);
    return true;
  }
}

let xxhashApi: ReturnType<typeof xxhash> | undefined;

async function* zstdDecode(reader: ReadableStreamDefaultReader<Uint8Array>) {
  xxhashApi ??= xxhash();
  const { create64 } = await xxhashApi;
  const frames = new ZstdFrames();
  let hash = create64();
  let ready: Uint8Array[] = [];
  // One decoder a frame: told the frame's last byte is the last, fzstd finishes it even when it
  // is too short for fzstd to start decoding before more input (frames are independent anyway).
  const frameDecoder = () =>
    new ZstdDecompress((chunk) => {
      if (chunk.byteLength === 0) return;
      hash.update(chunk);
      ready.push(chunk);
    });
  let decoder = frameDecoder();
  for (;;) {
    const result = await reader.read();
    if (result.done) break;
    let rest = result.value;
    while (rest.byteLength > 0) {
      const frameEnd = frames.scan(rest.subarray(0, ZSTD_SLICE));
      const taken = frameEnd < 0 ? Math.min(ZSTD_SLICE, rest.byteLength) : frameEnd;
      decoder.push(rest.subarray(0, taken), frameEnd >= 0);
      rest = rest.subarray(taken);
      if (frameEnd >= 0) {
        const expected = frames.checksum;
        if (expected !== undefined && Number(hash.digest() & 0xffffffffn) !== expected) {
          throw new Error("content checksum mismatch (corrupt data)");
        }
        hash = create64();
        decoder = frameDecoder();
      }
      const chunks = ready;
      ready = [];
      yield* chunks;
    }
  }
  if (frames.empty) throw new Error("unexpected end of input (no data)");
  if (!frames.atBoundary) throw new Error("unexpected end of input (truncated)");
}
