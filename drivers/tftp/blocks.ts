/**
 * Cutting a byte stream into TFTP blocks, and the netascii conversion of RFC 1350 mode
 * "netascii" (LF becomes CR LF, a bare CR becomes CR NUL).
 */

const CR = 0x0d;
const LF = 0x0a;

/** Fills caller buffers from a stream, chunk boundaries notwithstanding. */
export class BlockReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /**
   * Fills `target` from `start` to its end; returns how many bytes were written, fewer only at
   * the end of the stream.
   */
  async fill(target: Uint8Array, start = 0): Promise<number> {
    let at = start;
    while (at < target.length) {
      if (this.#offset === this.#chunk.length) {
        if (this.#ended) break;
        const { value, done } = await this.#reader.read();
        if (done) {
          this.#ended = true;
          break;
        }
        this.#chunk = value;
        this.#offset = 0;
        continue;
      }
      const count = Math.min(target.length - at, this.#chunk.length - this.#offset);
      target.set(this.#chunk.subarray(this.#offset, this.#offset + count), at);
      this.#offset += count;
      at += count;
    }
    return at - start;
  }

  /** Stops reading and releases the source (e.g. closes the file). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** Converts local text (LF line ends) to netascii. */
export function netasciiEncoder(): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      let extra = 0;
      for (const byte of chunk) if (byte === CR || byte === LF) extra++;
      if (extra === 0) {
        controller.enqueue(chunk);
        return;
      }
      const out = new Uint8Array(chunk.length + extra);
      let at = 0;
      for (const byte of chunk) {
        if (byte === LF) {
          out[at++] = CR;
          out[at++] = LF;
        } else if (byte === CR) {
          out[at++] = CR;
          out[at++] = 0;
        } else {
          out[at++] = byte;
        }
      }
      controller.enqueue(out);
    },
  });
}
