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

async function writeAll(conn: RawConn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/**
 * Writes chunks as frames on one connection, one at a time (a writable stream's writes are). A
 * chunk up to {@linkcode COALESCE_LIMIT} is copied behind its header into a buffer kept for the
 * connection and leaves in one write: a `RawConn` write resolves only once the bytes were taken,
 * so the buffer is free again by the next chunk, and no buffer is allocated (and zeroed) per chunk.
 */
export class ChunkWriter {
  readonly #conn: RawConn;
  #scratch: Uint8Array | undefined;

  constructor(conn: RawConn) {
    this.#conn = conn;
  }

  /** Writes `chunk` as one frame (an empty chunk is not sent). */
  async write(chunk: Uint8Array): Promise<void> {
    const length = chunk.byteLength;
    if (length === 0) return;
    if (length <= COALESCE_LIMIT) {
      this.#scratch ??= new Uint8Array(HEADER + COALESCE_LIMIT);
      const framed = this.#scratch.subarray(0, HEADER + length);
      new DataView(framed.buffer).setUint32(0, length);
      framed.set(chunk, HEADER);
      return await writeAll(this.#conn, framed);
    }
    await writeAll(this.#conn, header(length));
    await writeAll(this.#conn, chunk);
  }

  /** Marks the end of this direction (then half-close: {@linkcode RawConn.closeWrite}). */
  async end(): Promise<void> {
    await writeAll(this.#conn, header(0));
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
