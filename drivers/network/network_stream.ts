/**
 * Opening a driver byte stream whose owner can drop it at any time: unlike a bare
 * `DriverClient.stream()`, cancelling the readable or calling `abort()` cancels the call even
 * after the writable was closed, so the exporter releases the connection (a UDP association or
 * a console never ends on its own).
 */
import type { Connection } from "@jumpstarter/lib/client";
import {
  type ByteStream,
  driverStreamRequest,
  frameByteStream,
  REQUEST_KEY,
} from "@jumpstarter/lib/streams";
import { statusToError } from "@jumpstarter/lib/wire";

/** A connection through a network driver. */
export interface NetworkStream extends ByteStream, AsyncDisposable {
  /** Drops the stream in both directions (cancels the call); a no-op once it has ended. */
  abort(reason?: unknown): void;
}

/** Opens `method` of driver `uuid` once the exporter has answered with its headers. */
export async function openNetworkStream(
  connection: Connection,
  uuid: string,
  method: string,
): Promise<NetworkStream> {
  const metadata = connection.metadata();
  metadata.set(REQUEST_KEY, driverStreamRequest(uuid, method));
  const call = connection.router.stream({ metadata });
  let ended = false;
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
    if (ended) return;
    ended = true;
    call.cancel();
  };
  const inner = frameByteStream(call, {
    onOutboundEnd: () => call.end(),
    onAbort: abort,
    mapError: statusToError,
  });
  const reader = inner.readable.getReader();
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      abort();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return {
    readable,
    writable: inner.writable,
    abort,
    [Symbol.asyncDispose]: () => Promise.resolve(abort()),
  };
}
