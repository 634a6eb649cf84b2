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
import {
  CodecStream,
  generatorCodec,
  NODE_CHUNK,
  nodeTransformChunks,
} from "./_encoding/codec_stream.ts";
import { gzipDecode } from "./_encoding/gzip.ts";
import { loadXz } from "./_encoding/xz.ts";
import { bz2Decode } from "./_encoding/bz2.ts";
import { zstdDecode } from "./_encoding/zstd.ts";
import {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  ENCODABLE,
  isContentEncoding,
} from "./_encoding/names.ts";

export {
  CONTENT_ENCODINGS,
  type ContentEncoding,
  ContentEncodingError,
  DECODABLE,
  detectEncoding,
  ENCODABLE,
  encodingFromFileName,
  isContentEncoding,
  isEncodable,
  supportedEncodings,
} from "./_encoding/names.ts";

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
