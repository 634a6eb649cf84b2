/**
 * Buffered reads off a byte stream by delimiter or by count: what parsing an HTTP response head
 * and MJPEG multipart parts needs. Every read is bounded, so a peer that never sends the
 * delimiter fails with a clear error instead of filling memory.
 */

/** Thrown when the stream ends, or a bound is passed, before what was asked for arrived. */
export class TruncatedError extends Error {
  override name = "TruncatedError";
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  outer: for (
    let i = haystack.indexOf(first!, from);
    i !== -1;
    i = haystack.indexOf(first!, i + 1)
  ) {
    if (i + needle.length > haystack.length) return -1;
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** Reads `source` in pieces; `release()` hands back what was buffered and the rest. */
export class ByteReader {
  #buffer: Uint8Array = new Uint8Array(0);
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(source: ReadableStream<Uint8Array>) {
    this.#reader = source.getReader();
  }

  /** Reads one more chunk into the buffer; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    const { value, done } = await this.#reader.read();
    if (done) return false;
    this.#buffer = concat(this.#buffer, value);
    return true;
  }

  /**
   * The bytes before the next `delimiter` (which is consumed too).
   *
   * @throws {TruncatedError} naming `what` when the stream ends first or `limit` bytes pass.
   */
  async readUntil(delimiter: Uint8Array, limit: number, what: string): Promise<Uint8Array> {
    let searchFrom = 0;
    while (true) {
      const at = indexOf(this.#buffer, delimiter, searchFrom);
      if (at !== -1) {
        const before = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.subarray(at + delimiter.length);
        return before;
      }
      if (this.#buffer.length > limit) throw new TruncatedError(`${what} is over ${limit} bytes`);
      searchFrom = Math.max(0, this.#buffer.length - delimiter.length + 1);
      if (!await this.#fill()) throw new TruncatedError(`the stream ended inside ${what}`);
    }
  }

  /**
   * Exactly `count` bytes.
   *
   * @throws {TruncatedError} naming `what` when the stream ends first.
   */
  async readExactly(count: number, what: string): Promise<Uint8Array> {
    while (this.#buffer.length < count) {
      if (!await this.#fill()) throw new TruncatedError(`the stream ended inside ${what}`);
    }
    const bytes = this.#buffer.slice(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return bytes;
  }

  /** The next chunk: buffered bytes first, then the stream's; `undefined` at its end. */
  async readChunk(): Promise<Uint8Array | undefined> {
    if (this.#buffer.length > 0) {
      const chunk = this.#buffer;
      this.#buffer = new Uint8Array(0);
      return chunk;
    }
    const { value, done } = await this.#reader.read();
    return done ? undefined : value;
  }

  /** Cancels the underlying stream (drops the connection). */
  async cancel(reason?: unknown): Promise<void> {
    await this.#reader.cancel(reason).catch(() => {});
  }
}

/** `text` as ASCII bytes, for delimiters. */
export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
