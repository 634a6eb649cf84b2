/**
 * A websocket as a byte stream: each chunk written is one binary message; each message received
 * (binary, or text as UTF-8) is one chunk read.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";
import { ConnectionError } from "@jumpstarter/lib/wire";

export interface WebSocketStream extends ByteStream {
  /** Settles once the websocket is closed, whoever closed it. */
  closed: Promise<void>;
  close(): void;
}

/** Opens `url` and waits until it is open; fails with one line naming the URL otherwise. */
export function openWebSocketStream(
  url: string,
  client?: Deno.HttpClient,
  timeoutMs = 30_000,
): Promise<WebSocketStream> {
  // Deno's WebSocket takes an HttpClient (for its CA certificates) as an extension of the standard
  const init = client === undefined ? undefined : { client } as unknown as string[];
  let socket: WebSocket;
  try {
    socket = new WebSocket(url, init);
  } catch (error) {
    return Promise.reject(
      new ConnectionError(
        `Cannot open websocket ${url}: ${(error as Error).message}`,
      ),
    );
  }
  socket.binaryType = "arraybuffer";
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.addEventListener("message", (event) => {
        const data = event.data;
        controller.enqueue(
          typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data),
        );
      });
      closed.then(() => {
        try {
          controller.close();
        } catch { /* already cancelled */ }
      });
    },
    cancel() {
      socket.close();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.readyState !== WebSocket.OPEN) {
        throw new ConnectionError(`${url} is closed`);
      }
      socket.send(chunk);
    },
    close() {
      socket.close();
    },
    abort() {
      socket.close();
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(
        new ConnectionError(
          `Websocket ${url} did not open within ${timeoutMs / 1000} s`,
        ),
      );
    }, timeoutMs);
    socket.addEventListener("open", () => {
      clearTimeout(timer);
      resolve({ readable, writable, closed, close: () => socket.close() });
    }, { once: true });
    socket.addEventListener("error", (event) => {
      clearTimeout(timer);
      const why = (event as ErrorEvent).message ?? "error";
      reject(new ConnectionError(`Cannot open websocket ${url}: ${why}`));
    }, { once: true });
  });
}
