/**
 * Opening a driver byte stream (`RouterService.Stream`, kind `driver`) whose owner can drop it
 * at any time: cancelling the readable or calling `abort()` cancels the call even after the
 * writable was closed, so the exporter releases the device (a UDP association or a console
 * never ends on its own); a failed call fails the writable too.
 */
import type { Connection } from "./connection.ts";
import {
  type ByteStream,
  driverStreamRequest,
  frameByteStream,
  REQUEST_KEY,
} from "@jumpstarter/lib/streams";
import { statusToError } from "@jumpstarter/lib/wire";

/** An open driver byte stream. */
export interface DriverStream extends ByteStream, AsyncDisposable {
  /** Drops the stream in both directions (cancels the call); a no-op once it has ended. */
  abort(reason?: unknown): void;
}

/** Opens `method` of driver `uuid` once the exporter has answered with its headers. */
export async function openDriverStream(
  connection: Connection,
  uuid: string,
  method: string,
): Promise<DriverStream> {
  const metadata = connection.metadata();
  metadata.set(REQUEST_KEY, driverStreamRequest(uuid, method));
  const call = connection.router.stream({ metadata });
  // the call is over once its status arrived, or once both directions ended cleanly
  let ended = false;
  let inboundEnded = false;
  let outboundEnded = false;
  call.on("status", () => ended = true);
  try {
    await new Promise<void>((resolve, reject) => {
      call.once("metadata", () => resolve());
      call.once("error", reject);
    });
  } catch (error) {
    throw statusToError(error);
  }
  call.on("error", () => {/* surfaced through the streams */});
  const abort = () => {
    if (ended || (inboundEnded && outboundEnded)) return;
    ended = true;
    call.cancel();
  };
  const inner = frameByteStream(call, {
    onOutboundEnd: () => {
      outboundEnded = true;
      call.end();
    },
    onAbort: abort,
    mapError: statusToError,
  });
  const reader = inner.readable.getReader();
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) return controller.enqueue(value);
      inboundEnded = true;
      controller.close();
    },
    cancel(reason) {
      abort();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  // the call failing ends the sending side too, so writers do not wait on a dead stream
  const writer = inner.writable.getWriter();
  let outbound: WritableStreamDefaultController | undefined;
  call.on("error", (error) => outbound?.error(statusToError(error)));
  const writable = new WritableStream<Uint8Array>({
    start: (controller) => void (outbound = controller),
    write: (chunk) => writer.write(chunk),
    close: () => writer.close(),
    abort: (reason) => writer.abort(reason),
  }, { highWaterMark: 1 });
  return {
    readable,
    writable,
    abort,
    [Symbol.asyncDispose]: () => Promise.resolve(abort()),
  };
}
