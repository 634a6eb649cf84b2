/**
 * A file `open` returned an fd for: a reader with a cursor (seek/tell, as upstream's
 * `AsyncFile` in `rb` mode), or a writer whose content is committed on close.
 *
 * The npm binding's reader only reads forward, so a seek re-opens it at the start and skips
 * ahead when the cursor moves backwards.
 */
import { DriverError } from "@jumpstarter/lib/wire";
import type { NativeOperator, NativeReader, NativeWriter } from "./binding.ts";
import type { Mode } from "./opendal_types.ts";

/** Bytes per read, as upstream's adapter (64 KiB). */
export const CHUNK_SIZE = 65536;

export class OpenFile {
  readonly path: string;
  readonly mode: Mode;
  /** The content length `stat` gave at open, if the path existed. */
  readonly size: number | undefined;
  readonly #operator: NativeOperator;
  #reader: NativeReader | undefined;
  #writer: NativeWriter | undefined;
  /** Where the native reader is (it only moves forward). */
  #readerAt = 0;
  /** The cursor: next byte to read, or bytes written so far. */
  #position = 0;
  #closed = false;
  #busy = false;

  private constructor(operator: NativeOperator, path: string, mode: Mode, size?: number) {
    this.#operator = operator;
    this.path = path;
    this.mode = mode;
    this.size = size;
  }

  /** Opens `path` for reading (it must exist) or writing (created or replaced on close). */
  static async open(
    operator: NativeOperator,
    path: string,
    mode: Mode,
    size?: number,
  ): Promise<OpenFile> {
    const file = new OpenFile(operator, path, mode, size);
    if (mode === "rb") file.#reader = await operator.reader(path);
    else file.#writer = await operator.writer(path);
    return file;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get readable(): boolean {
    return !this.#closed && this.mode === "rb";
  }

  get writable(): boolean {
    return !this.#closed && this.mode === "wb";
  }

  get seekable(): boolean {
    return this.readable;
  }

  tell(): number {
    this.#usable("tell");
    return this.#position;
  }

  #usable(action: string): void {
    if (this.#closed) throw new DriverError(`Cannot ${action} ${this.path}: the file is closed`);
  }

  /** One operation at a time: two transfers on one fd would interleave their bytes. */
  async #exclusive<T>(action: string, step: () => Promise<T>): Promise<T> {
    this.#usable(action);
    if (this.#busy) {
      throw new DriverError(`Cannot ${action} ${this.path}: another transfer on it is running`);
    }
    this.#busy = true;
    try {
      return await step();
    } finally {
      this.#busy = false;
    }
  }

  /** Moves the read cursor (whence 0: from the start, 1: from the cursor, 2: from the end). */
  seek(offset: number, whence: number): number {
    this.#usable("seek in");
    if (this.mode !== "rb") {
      throw new DriverError(`Cannot seek in ${this.path}: it is open for writing (wb)`);
    }
    const base = whence === 0 ? 0 : whence === 1 ? this.#position : this.size ?? 0;
    const target = base + offset;
    if (target < 0) {
      throw new DriverError(`Cannot seek in ${this.path} to ${target}: before the start`);
    }
    this.#position = target;
    return target;
  }

  /** Reads up to CHUNK_SIZE bytes at the cursor; an empty array at the end. */
  async #readChunk(): Promise<Uint8Array> {
    if (this.#readerAt > this.#position) {
      this.#reader = await this.#operator.reader(this.path);
      this.#readerAt = 0;
    }
    while (this.#readerAt < this.#position) {
      const skip = new Uint8Array(Math.min(CHUNK_SIZE, this.#position - this.#readerAt));
      const count = Number(await this.#reader!.read(skip));
      if (count === 0) return new Uint8Array();
      this.#readerAt += count;
    }
    const buffer = new Uint8Array(CHUNK_SIZE);
    const count = Number(await this.#reader!.read(buffer));
    this.#readerAt += count;
    this.#position += count;
    return buffer.subarray(0, count);
  }

  /** Sends the rest of the file (from the cursor) into `sink`. */
  readInto(sink: WritableStream<Uint8Array>): Promise<number> {
    return this.#exclusive("read", async () => {
      if (this.mode !== "rb") {
        throw new DriverError(`Cannot read ${this.path}: it is open for writing (wb)`);
      }
      const writer = sink.getWriter();
      let sent = 0;
      try {
        for (;;) {
          const chunk = await this.#readChunk();
          if (chunk.byteLength === 0) break;
          await writer.write(chunk);
          sent += chunk.byteLength;
        }
      } finally {
        writer.releaseLock();
      }
      return sent;
    });
  }

  /** Appends everything `source` yields. */
  writeFrom(source: ReadableStream<Uint8Array>): Promise<number> {
    return this.#exclusive("write", async () => {
      if (this.mode !== "wb") {
        await source.cancel().catch(() => {});
        throw new DriverError(`Cannot write ${this.path}: it is open for reading (rb)`);
      }
      let received = 0;
      for await (const chunk of source) {
        if (chunk.byteLength === 0) continue;
        await this.#writer!.write(chunk);
        received += chunk.byteLength;
        this.#position += chunk.byteLength;
      }
      return received;
    });
  }

  /** Closes the file; a writer commits what it was given. Closing twice is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const writer = this.#writer;
    this.#writer = undefined;
    this.#reader = undefined;
    await writer?.close();
  }
}
