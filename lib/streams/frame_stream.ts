/**
 * Byte streams over `jumpstarter.v1.RouterService/Stream`: adapts a grpc-js bidirectional call to
 * a web `ReadableStream`/`WritableStream` pair with upstream's frame rules (spec/protocol.md 6.1):
 * DATA frames carry bytes, a GOAWAY frame is the in-band end of one direction, PING and RST_STREAM
 * are ignored, the end of the call also ends the inbound direction.
 */
import { FrameType } from "@jumpstarter/protos";

/** A frame as both StreamRequest and StreamResponse carry it. */
export interface Frame {
  payload: Uint8Array;
  frameType: FrameType;
}

/** What the adapter needs of a grpc-js duplex call (client or server side). */
export interface FrameCall {
  write(frame: Frame, callback?: (error?: Error | null) => void): boolean;
  on(event: "data", listener: (frame: Frame) => void): unknown;
  on(event: "end" | "drain" | "close" | "cancelled" | "status", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  // deno-lint-ignore no-explicit-any
  off(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** A bidirectional byte stream: what the peer sends, and a sink towards the peer. */
export interface ByteStream {
  /** Bytes from the peer; it ends when the peer half-closes. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer; closing it half-closes our side. */
  writable: WritableStream<Uint8Array>;
}

/** Options of {@linkcode frameByteStream}. */
export interface FrameStreamOptions {
  /** Called once the outbound GOAWAY was written (a caller then half-closes its call). */
  onOutboundEnd?: () => void;
  /** Called once the inbound direction ended cleanly (the peer's GOAWAY or end of call). */
  onInboundEnd?: () => void;
  /** Called when the local side aborts the writable (cancel the call). */
  onAbort?: (reason: unknown) => void;
  /** Largest payload per DATA frame; bigger chunks are split (gRPC's 4 MiB limit). */
  maxFramePayload?: number;
  /** Inbound chunks buffered before the call is paused. */
  highWaterMark?: number;
  /** Turns a call error into the error the readable reports. */
  mapError?: (error: unknown) => unknown;
}

const DEFAULT_MAX_FRAME = 1024 * 1024;

function waitForDrain(call: FrameCall): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      call.off("drain", onDrain);
      call.off("close", onDrain);
      call.off("status", onDrain);
      call.off("error", onError);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    call.on("drain", onDrain);
    call.on("close", onDrain);
    // a call that already ended will never drain
    call.on("status", onDrain);
    call.on("error", onError);
  });
}

/** Wraps a RouterService.Stream call (either side) as a byte stream. */
export function frameByteStream(call: FrameCall, options: FrameStreamOptions = {}): ByteStream {
  const maxFrame = options.maxFramePayload ?? DEFAULT_MAX_FRAME;
  let inboundDone = false;
  // once the call broke or the peer ended it, writes must fail instead of buffering into it
  let broken: unknown;
  let peerEnded = false;
  let outbound: WritableStreamDefaultController | undefined;
  // client calls report their final status; writing after it is pointless (servers never see it)
  call.on("status", () => peerEnded = true);
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (error: unknown) => {
        broken ??= error;
        if (inboundDone) return;
        inboundDone = true;
        controller.error(options.mapError ? options.mapError(error) : error);
      };
      const finish = () => {
        if (inboundDone) return;
        inboundDone = true;
        controller.close();
        call.resume();
        options.onInboundEnd?.();
      };
      call.on("data", (frame) => {
        if (inboundDone) return;
        if (frame.frameType === FrameType.GOAWAY) return finish();
        if (frame.frameType !== FrameType.DATA || frame.payload.byteLength === 0) return;
        controller.enqueue(frame.payload);
        if ((controller.desiredSize ?? 1) <= 0) call.pause();
      });
      // A server call also "ends" when the caller cancels; the cancel flag may trail the end
      // event, so look again a moment later before taking it as a clean EOF.
      call.on("end", () => {
        setTimeout(() => {
          if ((call as { cancelled?: boolean }).cancelled) {
            fail(new Error("The caller cancelled the stream"));
          } else finish();
        }, 0);
      });
      call.on("error", (error) => {
        fail(error);
        // writers must not wait on a dead call
        outbound?.error(options.mapError ? options.mapError(error) : error);
      });
      // a server-side call sees the caller go away only as "cancelled"
      call.on("cancelled", () => fail(new Error("The caller cancelled the stream")));
    },
    pull() {
      call.resume();
    },
    cancel(reason) {
      inboundDone = true;
      call.resume();
      // the local side gave up on the peer's bytes: end the whole call
      options.onAbort?.(reason);
    },
  }, { highWaterMark: options.highWaterMark ?? 16 });

  // Synchronous while the call takes frames: a promise per chunk only when it must drain.
  const writeFrames = (chunk: Uint8Array, from: number): Promise<void> | undefined => {
    for (let offset = from; offset < chunk.byteLength; offset += maxFrame) {
      if (peerEnded) throw new Error("The peer ended the stream before all bytes were sent");
      const payload = chunk.subarray(offset, offset + maxFrame);
      if (!call.write({ payload, frameType: FrameType.DATA })) {
        return waitForDrain(call).then(() => writeFrames(chunk, offset + maxFrame));
      }
    }
    return undefined;
  };
  const writable = new WritableStream<Uint8Array>({
    start(controller) {
      outbound = controller;
    },
    write(chunk) {
      if (broken !== undefined) throw options.mapError ? options.mapError(broken) : broken;
      return writeFrames(chunk, 0);
    },
    close() {
      call.write({ payload: new Uint8Array(), frameType: FrameType.GOAWAY });
      options.onOutboundEnd?.();
    },
    abort(reason) {
      options.onAbort?.(reason);
    },
  });
  return { readable, writable };
}

/**
 * Copies both directions between two byte streams until both ended. When one direction fails,
 * the other is torn down too; the first error is rethrown.
 */
export async function pipeBoth(a: ByteStream, b: ByteStream): Promise<void> {
  const abort = new AbortController();
  const copy = (from: ReadableStream<Uint8Array>, to: WritableStream<Uint8Array>) =>
    from.pipeTo(to, { signal: abort.signal }).catch((error) => {
      if (!abort.signal.aborted) abort.abort(error);
      throw error;
    });
  const results = await Promise.allSettled([
    copy(a.readable, b.writable),
    copy(b.readable, a.writable),
  ]);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
