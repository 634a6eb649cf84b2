/**
 * A connected socket (`Deno.Conn`, TCP or Unix) as a byte stream with TCP half-close: closing the
 * writable shuts down the sending side only, and the socket is released once both directions
 * have ended, or at once when either side gives up (cancel, abort, error) or `close()` is called.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";
import { ConnectionError } from "@jumpstarter/lib/wire";

/** A socket byte stream that can be torn down and tells when it is gone. */
export interface SocketStream extends ByteStream {
  /** Closes the socket now; pending reads end, later writes fail. Idempotent. */
  close(): void;
  /** Settles once the socket is closed. */
  readonly closed: Promise<void>;
}

// fewer, larger frames on the gRPC stream make bulk transfers faster
const READ_SIZE = 256 * 1024;

/** Wraps `conn`; the stream owns it from now on. */
export function socketStream(conn: Deno.Conn): SocketStream {
  const done = Promise.withResolvers<void>();
  let closed = false;
  let readEnded = false;
  let writeEnded = false;
  let writer: WritableStreamDefaultController | undefined;
  const close = () => {
    if (closed) return;
    closed = true;
    // whoever pipes into the socket learns at once that it is gone, not at its next write
    if (!writeEnded) writer?.error(new ConnectionError("The connection was closed"));
    try {
      conn.close();
    } catch {
      // already closed by the runtime
    }
    done.resolve();
  };
  const settle = () => {
    if (readEnded && writeEnded) close();
  };

  let buffer: Uint8Array | undefined;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      buffer ??= new Uint8Array(READ_SIZE);
      let count: number | null;
      try {
        count = await conn.read(buffer);
      } catch (error) {
        readEnded = true;
        // a read interrupted by our own close() is the end of the stream, not a failure
        if (closed) controller.close();
        else {
          controller.error(error);
          close();
        }
        return;
      }
      if (count === null) {
        readEnded = true;
        controller.close();
        settle();
        return;
      }
      controller.enqueue(buffer.slice(0, count));
    },
    cancel() {
      readEnded = true;
      close();
    },
  }, { highWaterMark: 0 });

  const writable = new WritableStream<Uint8Array>({
    start(controller) {
      writer = controller;
    },
    async write(chunk) {
      try {
        for (let offset = 0; offset < chunk.byteLength;) {
          offset += await conn.write(chunk.subarray(offset));
        }
      } catch (error) {
        close();
        throw error;
      }
    },
    async close() {
      writeEnded = true;
      if (!closed) {
        try {
          await conn.closeWrite();
        } catch {
          // the peer is gone already: nothing left to shut down
          close();
        }
      }
      settle();
    },
    abort() {
      writeEnded = true;
      close();
    },
  });

  return { readable, writable, close, closed: done.promise };
}
