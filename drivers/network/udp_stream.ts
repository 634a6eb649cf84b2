/**
 * A connected UDP socket as a byte stream: every chunk written is sent as one datagram, every
 * datagram received from the peer becomes one chunk. UDP has no end of stream, so closing the
 * writable stops nothing; the association ends when the reader cancels or the stream is aborted.
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { describeError, formatHostPort } from "./address.ts";
import type { SocketStream } from "./socket_stream.ts";

/** Options of {@linkcode openUdp}. */
export interface UdpOptions {
  /** Received datagrams held while the reader is slow; later ones are dropped, as UDP would. */
  maxQueued?: number;
  /** Called for every datagram dropped because the queue was full. */
  onDrop?: () => void;
}

/**
 * Resolves `host`, opens a UDP socket of the matching family and connects it to `host:port`, so
 * only datagrams from that peer are received.
 *
 * @throws {ConnectionError} when the name does not resolve or the socket cannot connect.
 */
export async function openUdp(
  host: string,
  port: number,
  options: UdpOptions = {},
): Promise<SocketStream> {
  const where = formatHostPort(host, port);
  let resolved: { address: string; family: number };
  try {
    resolved = await lookup(host);
  } catch (error) {
    throw new ConnectionError(`Cannot connect to UDP ${where}: ${describeError(error)}`, {
      cause: error,
    });
  }
  const socket = dgram.createSocket(resolved.family === 6 ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(port, resolved.address, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw new ConnectionError(`Cannot connect to UDP ${where}: ${describeError(error)}`, {
      cause: error,
    });
  }

  const done = Promise.withResolvers<void>();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    socket.close(() => done.resolve());
  };

  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("message", (message: Uint8Array) => {
        if (closed) return;
        if ((controller.desiredSize ?? 1) <= 0) return options.onDrop?.();
        controller.enqueue(Uint8Array.from(message));
      });
      socket.on("error", (error: Error) => {
        if (closed) return;
        controller.error(new ConnectionError(`UDP ${where} failed: ${error.message}`));
        close();
      });
    },
    cancel() {
      close();
    },
  }, { highWaterMark: options.maxQueued ?? 256 });

  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (closed) throw new ConnectionError(`Cannot send to UDP ${where}: the socket is closed`);
      return new Promise<void>((resolve, reject) =>
        socket.send(chunk, (error) => {
          if (!error) return resolve();
          reject(
            new ConnectionError(
              `Cannot send a ${chunk.byteLength}-byte datagram to UDP ${where}: ${error.message}`,
            ),
          );
        })
      );
    },
    abort() {
      close();
    },
  });

  return { readable, writable, close, closed: done.promise };
}
