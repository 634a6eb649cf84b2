/**
 * The content encodings: their names, which can be decoded and encoded, how to recognise
 * them from a file name or the first bytes, and the error a codec reports.
 *
 * @module
 */

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
