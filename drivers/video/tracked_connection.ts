/**
 * A socket handed out as a `connect` byte stream, kept in its driver's set of open connections
 * until either side gives it up, so the driver can drop what is left when the session ends.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";

/** Closes `conn`, ignoring that it may be closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** `conn` as a byte stream, in `open` until the client cancels it or the peer ends it. */
export function trackedConnection(conn: Deno.Conn, open: Set<Deno.Conn>): ByteStream {
  open.add(conn);
  const drop = () => {
    if (open.delete(conn)) closeQuietly(conn);
  };
  const reader = conn.readable.getReader();
  const writer = conn.writable.getWriter();
  return {
    readable: new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { value, done } = await reader.read();
          if (!done) return controller.enqueue(value);
          controller.close();
        } catch (error) {
          controller.error(error);
        }
        drop();
      },
      cancel: drop,
    }, { highWaterMark: 0 }),
    writable: new WritableStream<Uint8Array>({
      write: (chunk) => writer.write(chunk),
      close: () => conn.closeWrite().catch(() => {}),
      abort: drop,
    }),
  };
}
