/**
 * Ports that are not tty devices: `socket://` (a TCP serial server) and `loop://` (what is
 * written is read back, as pyserial's loopback).
 */
import { type Port, PortClosedError, PortGoneError } from "./port.ts";

/** A TCP connection to a serial server (ser2net, socat, an emulator's serial socket). */
export class SocketPort implements Port {
  readonly #conn: Deno.TcpConn;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#reader = conn.readable.getReader();
    this.#writer = conn.writable.getWriter();
  }

  static async open(hostname: string, port: number): Promise<SocketPort> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new SocketPort(conn);
  }

  async read(): Promise<Uint8Array | null> {
    try {
      const { value, done } = await this.#reader.read();
      if (this.#closed) return null;
      if (done) throw new PortGoneError("the serial server closed the connection");
      return value;
    } catch (error) {
      if (this.#closed) return null;
      if (error instanceof PortGoneError) throw error;
      throw new PortGoneError((error as Error).message, { cause: error });
    }
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#closed) throw new PortClosedError();
    try {
      await this.#writer.write(data);
    } catch (error) {
      if (this.#closed) throw new PortClosedError();
      throw new PortGoneError((error as Error).message, { cause: error });
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    // cancelling the reader ends a pending read; the connection is closed along with it
    return Promise.allSettled([this.#reader.cancel(), this.#writer.abort()]).then(() => {
      try {
        this.#conn.close();
      } catch {
        // already closed by the stream teardown
      }
    });
  }
}

/** pyserial's `loop://`: bytes written come back on read, with a bounded buffer. */
export class LoopPort implements Port {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;

  constructor() {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(
      {},
      new ByteLengthQueuingStrategy({ highWaterMark: 4096 }),
      new ByteLengthQueuingStrategy({ highWaterMark: 4096 }),
    );
    this.#reader = readable.getReader();
    this.#writer = writable.getWriter();
  }

  async read(): Promise<Uint8Array | null> {
    const { value, done } = await this.#reader.read();
    return done || this.#closed ? null : value;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#closed) throw new PortClosedError();
    await this.#writer.write(data.slice());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([this.#reader.cancel(), this.#writer.abort()]);
  }
}
