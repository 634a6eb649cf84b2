/**
 * MJPEG over HTTP (`multipart/x-mixed-replace`): the boundary a response declares and the parts
 * (frames) that follow it. Parts carry `Content-Length` (uStreamer, most cameras) or are ended by
 * the next boundary line.
 */
import { ascii, ByteReader } from "./byte_reader.ts";

const MAX_PART_HEAD_BYTES = 16 * 1024;
const MAX_FRAME_BYTES = 32 * 1024 * 1024;

/**
 * The boundary of a `multipart/...; boundary=X` content type, without leading dashes.
 *
 * @throws {Error} when the content type is not multipart or names no boundary.
 */
export function multipartBoundary(contentType: string | null): string {
  const match = /^multipart\/[^;]+;.*\bboundary="?([^";]+)"?/i.exec(contentType ?? "");
  if (match === null) {
    throw new Error(`expected a multipart MJPEG stream, got content type "${contentType ?? ""}"`);
  }
  return match[1]!.replace(/^--/, "");
}

/** One part of a multipart stream. */
export interface Part {
  /** The part's own headers (`Content-Type: image/jpeg`...). */
  headers: Headers;
  /** The part's bytes: one JPEG frame. */
  body: Uint8Array;
}

/** Reads the parts of a multipart body one by one. */
export class MultipartReader {
  readonly #reader: ByteReader;
  readonly #delimiter: Uint8Array;
  #started = false;

  /** Reads `body`, whose parts are delimited by `--boundary`. */
  constructor(body: ReadableStream<Uint8Array>, boundary: string) {
    this.#reader = new ByteReader(body);
    this.#delimiter = ascii(`--${boundary}`);
  }

  /**
   * The next part.
   *
   * @throws {TruncatedError} when the stream ends inside a part or before the first one.
   */
  async next(): Promise<Part> {
    if (!this.#started) {
      await this.#reader.readUntil(this.#delimiter, MAX_PART_HEAD_BYTES, "the first MJPEG part");
      this.#started = true;
    }
    const head = new TextDecoder().decode(
      await this.#reader.readUntil(ascii("\r\n\r\n"), MAX_PART_HEAD_BYTES, "an MJPEG part head"),
    );
    const headers = new Headers();
    for (const line of head.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get("content-length") ?? NaN);
    let body: Uint8Array;
    if (Number.isInteger(length) && length >= 0 && length <= MAX_FRAME_BYTES) {
      body = await this.#reader.readExactly(length, "an MJPEG frame");
      await this.#reader.readUntil(this.#delimiter, MAX_PART_HEAD_BYTES, "the next MJPEG part");
    } else {
      const withCrlf = await this.#reader.readUntil(
        this.#delimiter,
        MAX_FRAME_BYTES,
        "an MJPEG frame",
      );
      const end = withCrlf.length >= 2 && withCrlf.at(-2) === 13 && withCrlf.at(-1) === 10
        ? withCrlf.length - 2
        : withCrlf.length;
      body = withCrlf.subarray(0, end);
    }
    return { headers, body };
  }

  /** Drops the stream. */
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}
