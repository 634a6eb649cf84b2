/**
 * bz2: unbzip2-stream's decoder, driven one block at a time. Its public through-stream decodes
 * everything it has buffered in one synchronous call (a stream of zeros in a few hundred bytes
 * decodes to gigabytes in one go), so its block decoder (lib/bzip2.js, pinned) is driven here:
 * each block is decoded once enough input is buffered, and its output is handed over before the
 * next block is decoded.
 *
 * @module
 */
import bzip2Module from "unbzip2-stream/lib/bzip2.js";
import { NODE_CHUNK } from "./codec_stream.ts";

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

/** Decodes concatenated bzip2 streams, one block per step. */
export async function* bz2Decode(reader: ReadableStreamDefaultReader<Uint8Array>) {
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
