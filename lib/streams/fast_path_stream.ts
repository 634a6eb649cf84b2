/**
 * A byte stream whose bytes go over a raw socket while its RouterService.Stream call carries only
 * the ends (see fast_path_protocol.ts): the socket's EOF counts as a clean end only once the peer's
 * GOAWAY frame (or the clean end of the call) confirms it, and the call's error or cancellation
 * fails both directions, as with {@linkcode frameByteStream}.
 */
import { FrameType } from "@jumpstarter/protos";
import type { ByteStream, FrameCall, FrameStreamOptions } from "./frame_stream.ts";
import { ChunkReader, ChunkWriter, type RawConn } from "./fast_path_frames.ts";

/** How long a broken socket waits for the call to say why before it fails on its own. */
const BROKEN_SOCKET_GRACE_MS = 2_000;

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let cancel = () => {};
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    cancel = () => clearTimeout(timer);
  });
  return { promise, cancel: () => cancel() };
}

/** Options of {@linkcode socketByteStream}: the same hooks as for a frame stream. */
export type SocketStreamOptions = Pick<
  FrameStreamOptions,
  "onOutboundEnd" | "onInboundEnd" | "onAbort" | "mapError"
>;

/** Moves the stream's bytes over `conn`, with `call` as its control channel. */
export function socketByteStream(
  conn: RawConn,
  call: FrameCall,
  options: SocketStreamOptions = {},
): ByteStream {
  const mapError = (error: unknown) => options.mapError ? options.mapError(error) : error;
  let connClosed = false;
  const closeConn = () => {
    if (connClosed) return;
    connClosed = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  let inboundDone = false;
  let outboundDone = false;
  const closeIfDone = () => {
    if (inboundDone && outboundDone) closeConn();
  };
  // the peer's confirmation that its direction ended cleanly, or the call's failure
  const peerEnd = Promise.withResolvers<void>();
  peerEnd.promise.catch(() => {});
  let failure: unknown;
  let outbound: WritableStreamDefaultController | undefined;
  let inbound: ReadableStreamDefaultController<Uint8Array> | undefined;
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** The readable fails with the call's failure (after the bytes sent before it). */
  const failInbound = () => {
    clearTimeout(drainTimer);
    if (!inboundDone) {
      inboundDone = true;
      inbound?.error(failure);
    }
    closeConn();
  };
  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    failure = mapError(error);
    peerEnd.reject(failure);
    if (!outboundDone) outbound?.error(failure);
    outboundDone = true;
    // bytes the peer sent before failing travel apart from the call and may still be on their
    // way: the readable delivers them and fails once the socket runs dry (the peer closes it),
    // or after a grace period
    if (inboundDone) closeConn();
    else drainTimer = setTimeout(failInbound, BROKEN_SOCKET_GRACE_MS);
  };
  call.on("data", (frame) => {
    if (frame.frameType === FrameType.GOAWAY) peerEnd.resolve();
  });
  call.on("end", () => {
    // a server call also ends when the caller cancels; the flag may trail the event
    setTimeout(() => {
      if ((call as { cancelled?: boolean }).cancelled) {
        fail(new Error("The caller cancelled the stream"));
      } else peerEnd.resolve();
    }, 0);
  });
  call.on("error", fail);
  call.on("cancelled", () => fail(new Error("The caller cancelled the stream")));
  call.on("status", () => peerEnd.resolve());
  call.resume();

  const reader = new ChunkReader(conn);
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      inbound = controller;
    },
    async pull(controller) {
      let chunk: Uint8Array | null;
      try {
        chunk = await reader.next();
      } catch (error) {
        if (inboundDone) return;
        if (failure === undefined) {
          // the socket broke: the call says why (the peer's error, or it went away); a raw path
          // through a router can also break alone, and then the call is dropped too
          const grace = delay(BROKEN_SOCKET_GRACE_MS);
          await Promise.race([peerEnd.promise.catch(() => {}), grace.promise]);
          grace.cancel();
          if (failure === undefined) {
            options.onAbort?.(error);
            fail(error);
          }
        }
        return failInbound();
      }
      if (inboundDone) return;
      if (chunk !== null) return controller.enqueue(chunk);
      try {
        await peerEnd.promise;
      } catch {
        return failInbound();
      }
      if (inboundDone) return;
      inboundDone = true;
      controller.close();
      options.onInboundEnd?.();
      closeIfDone();
    },
    cancel(reason) {
      inboundDone = true;
      clearTimeout(drainTimer);
      options.onAbort?.(reason);
      closeConn();
    },
  }, { highWaterMark: 0 });

  const chunks = new ChunkWriter(conn);
  const writable = new WritableStream<Uint8Array>({
    start(controller) {
      outbound = controller;
    },
    async write(chunk) {
      if (failure !== undefined) throw failure;
      try {
        await chunks.write(chunk);
      } catch (error) {
        throw failure ?? mapError(error);
      }
    },
    async close() {
      if (failure !== undefined) throw failure;
      try {
        // a write that failed after write() returned is reported here, the stream's way
        await chunks.end();
        await conn.closeWrite();
      } catch (error) {
        throw failure ?? mapError(error);
      }
      call.write({ payload: new Uint8Array(), frameType: FrameType.GOAWAY });
      outboundDone = true;
      options.onOutboundEnd?.();
      closeIfDone();
    },
    abort(reason) {
      outboundDone = true;
      options.onAbort?.(reason);
      closeConn();
    },
  });
  return { readable, writable };
}
