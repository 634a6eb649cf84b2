/**
 * A node:net or node:tls socket as the fast path's {@linkcode RawConn}. The client reaches a TLS
 * fast path through node:tls, as grpc-js reaches the session: the two then accept the same
 * certificates (Deno's own TLS client refuses a self-signed CA certificate as the server's, which
 * is what `jmp` and most hand-made direct-mode certificates are).
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import type { RawConn } from "./fast_path_frames.ts";

/** How long closing waits for written bytes to go out. */
const FLUSH_ON_CLOSE_MS = 2_000;
/** Bytes buffered from the socket before it is paused until read. */
const PAUSE_AT = 1024 * 1024;

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

/** Wraps `socket` (connected); reads pull what it emitted, writes resolve once it took them. */
export function nodeSocketConn(socket: Socket): RawConn {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  socket.on("data", (bytes: Buffer) => {
    queue.push(bytes);
    queued += bytes.byteLength;
    if (queued >= PAUSE_AT) socket.pause();
    notify();
  });
  socket.on("end", () => {
    ended = true;
    notify();
  });
  socket.on("error", (error: Error) => {
    failure = error;
    notify();
  });
  socket.on("close", () => {
    ended = true;
    notify();
  });
  return {
    async read(into: Uint8Array): Promise<number | null> {
      while (queue.length === 0) {
        if (failure) throw failure;
        if (ended) return null;
        await new Promise<void>((resolve) => wake = resolve);
      }
      const head = queue[0]!;
      const n = Math.min(head.byteLength, into.byteLength);
      into.set(head.subarray(0, n));
      if (n === head.byteLength) queue.shift();
      else queue[0] = head.subarray(n);
      queued -= n;
      if (queued < PAUSE_AT && socket.isPaused()) socket.resume();
      return n;
    },
    async write(bytes: Uint8Array): Promise<number> {
      if (failure) throw failure;
      // a copy: node may still hold the bytes after this resolves, the caller may reuse them;
      // resolving once the socket took them (not once sent) keeps several writes in flight
      if (!socket.write(Buffer.from(bytes))) await drained(socket);
      if (failure) throw failure;
      return bytes.byteLength;
    },
    closeWrite(): Promise<void> {
      return new Promise((resolve) => socket.end(() => resolve()));
    },
    close(): void {
      // as a Deno connection's close: what the writes took still goes out (node may still hold
      // it), then the socket goes; a peer that reads nothing more gets a little while
      if (socket.destroyed) return;
      if (socket.writableLength === 0) return void socket.destroy();
      const timer = setTimeout(() => socket.destroy(), FLUSH_ON_CLOSE_MS);
      socket.end(() => {
        clearTimeout(timer);
        socket.destroy();
      });
    },
  };
}
