/**
 * Chunk boundaries on the fast path's socket: each chunk travels as a 4-byte big-endian length and
 * its bytes, so a chunk written is a chunk read, as with gRPC DATA frames (a UDP driver relies on
 * it: one chunk is one datagram). Empty chunks are not sent, as frame streams drop them too; a
 * zero length instead marks the end of the writer's direction, ahead of its half-close (a node:tls
 * client under Deno never sees a Deno TLS server's half-close as EOF).
 */

/** What the fast path needs of a connection: a `Deno.Conn`, or a node socket wrapped as one. */
export interface RawConn {
  /** Reads into `into`; the count, or null at EOF. */
  read(into: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; the count written. */
  write(bytes: Uint8Array): Promise<number>;
  /** Shuts the write side down (the peer reads EOF). */
  closeWrite(): Promise<void>;
  /** Closes both directions. */
  close(): void;
}

const HEADER = 4;
/** Chunks up to this size are copied behind their header and written in one call. */
const COALESCE_LIMIT = 256 * 1024;
const READ_BUFFER = 256 * 1024;
/** A {@linkcode ChunkWriter}'s first buffers; they double up to {@linkcode COALESCE_LIMIT}. */
const FIRST_GATHER_BYTES = 16 * 1024;

async function writeAll(conn: RawConn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/**
 * Writes chunks as frames on one connection, one call at a time (a writable stream's writes are).
 * A chunk up to {@linkcode COALESCE_LIMIT} is copied behind its header into one of two buffers
 * kept for the connection, and `write` returns once it is copied (waiting only while both buffers
 * are full): while one buffer is being written, the next chunks gather in the other and leave
 * together in one write, so the producer works while the socket takes the bytes, and no buffer is
 * allocated (and zeroed) per chunk. The buffers grow with the chunks, from
 * {@linkcode FIRST_GATHER_BYTES} (a console's keystrokes keep them small), and are let go at
 * `end`. A bigger chunk is written as it is, after what is gathered. A failed write fails the next
 * `write` or `end`.
 */
export class ChunkWriter {
  readonly #conn: RawConn;
  #gathering: Uint8Array | undefined;
  #spare: Uint8Array | undefined;
  #gathered = 0;
  #sending: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(conn: RawConn) {
    this.#conn = conn;
  }

  /** Writes `chunk` as one frame (an empty chunk is not sent). */
  async write(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    const length = chunk.byteLength;
    if (length === 0) return;
    if (length > COALESCE_LIMIT) {
      await this.#flushed();
      await writeAll(this.#conn, header(length));
      return await writeAll(this.#conn, chunk);
    }
    // full: the write in flight ends, then sends what gathered and frees this buffer's twin
    if (this.#gathered + HEADER + length > HEADER + COALESCE_LIMIT) await this.#sending;
    this.#throwIfFailed();
    const gathering = this.#room(HEADER + length);
    new DataView(gathering.buffer).setUint32(this.#gathered, length);
    gathering.set(chunk, this.#gathered + HEADER);
    this.#gathered += HEADER + length;
    if (!this.#sending) this.#send();
  }

  /** Marks the end of this direction (then half-close: {@linkcode RawConn.closeWrite}). */
  async end(): Promise<void> {
    await this.#flushed();
    this.#gathering = this.#spare = undefined;
    await writeAll(this.#conn, header(0));
  }

  /** The gathering buffer, grown (keeping what it holds) to take `bytes` more. */
  #room(bytes: number): Uint8Array {
    const needed = this.#gathered + bytes;
    const current = this.#gathering;
    if (current && current.byteLength >= needed) return current;
    const size = Math.min(
      HEADER + COALESCE_LIMIT,
      Math.max(needed, FIRST_GATHER_BYTES, 2 * (current?.byteLength ?? 0)),
    );
    const grown = new Uint8Array(size);
    if (current) grown.set(current.subarray(0, this.#gathered));
    this.#gathering = grown;
    return grown;
  }

  /** Writes what is gathered, then what gathered meanwhile, until nothing is left. */
  #send(): void {
    const bytes = this.#gathering!.subarray(0, this.#gathered);
    [this.#gathering, this.#spare] = [this.#spare, this.#gathering];
    this.#gathered = 0;
    this.#sending = writeAll(this.#conn, bytes).then(
      () => {
        this.#sending = undefined;
        if (this.#gathered > 0) this.#send();
      },
      (error) => {
        this.#sending = undefined;
        this.#failure = { error };
      },
    );
  }

  /** Resolves once everything gathered was written; throws what failed. */
  async #flushed(): Promise<void> {
    while (this.#sending) await this.#sending;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

function header(length: number): Uint8Array {
  const bytes = new Uint8Array(HEADER);
  new DataView(bytes.buffer).setUint32(0, length);
  return bytes;
}

/** Reads the frames of {@linkcode ChunkWriter} back as chunks. */
export class ChunkReader {
  readonly #conn: RawConn;
  // chunks are views into it, so it is never written again below #end: when it runs out of room
  // the rest moves to a fresh buffer instead of to its start
  #buffer = new Uint8Array(READ_BUFFER);
  #view = new DataView(this.#buffer.buffer);
  #start = 0;
  #end = 0;

  constructor(conn: RawConn) {
    this.#conn = conn;
  }

  /** Buffers at least `count` bytes; false at EOF before that. */
  async #fill(count: number): Promise<boolean> {
    while (this.#end - this.#start < count) {
      if (this.#buffer.byteLength - this.#start < count) {
        const fresh = new Uint8Array(READ_BUFFER);
        fresh.set(this.#buffer.subarray(this.#start, this.#end));
        this.#end -= this.#start;
        this.#start = 0;
        this.#buffer = fresh;
        this.#view = new DataView(fresh.buffer);
      }
      const n = await this.#conn.read(this.#buffer.subarray(this.#end));
      if (n === null) return false;
      this.#end += n;
    }
    return true;
  }

  /**
   * The next chunk, or null at the end mark.
   *
   * @throws {Error} when the socket ends before the end mark.
   */
  async next(): Promise<Uint8Array | null> {
    if (!await this.#fill(HEADER)) {
      if (this.#end === this.#start) {
        throw new Error("The fast-path connection closed before its end mark");
      }
      throw new Error("The fast-path socket ended in the middle of a chunk header");
    }
    const length = this.#view.getUint32(this.#start);
    this.#start += HEADER;
    if (length === 0) return null;
    const buffered = this.#end - this.#start;
    if (length <= buffered || (length <= READ_BUFFER - HEADER && await this.#fill(length))) {
      const chunk = this.#buffer.subarray(this.#start, this.#start + length);
      this.#start += length;
      return chunk;
    }
    if (length <= READ_BUFFER - HEADER) {
      throw new Error("The fast-path socket ended in the middle of a chunk");
    }
    // a big chunk is read straight into its own buffer
    const chunk = new Uint8Array(length);
    chunk.set(this.#buffer.subarray(this.#start, this.#end));
    let filled = this.#end - this.#start;
    this.#start = this.#end = 0;
    this.#buffer = new Uint8Array(READ_BUFFER);
    this.#view = new DataView(this.#buffer.buffer);
    while (filled < length) {
      const n = await this.#conn.read(chunk.subarray(filled));
      if (n === null) throw new Error("The fast-path socket ended in the middle of a chunk");
      filled += n;
    }
    return chunk;
  }
}
