/**
 * Opening a driver byte stream (`RouterService.Stream`, kind `driver`) whose owner can drop it
 * at any time: cancelling the readable or calling `abort()` cancels the call even after the
 * writable was closed, so the exporter releases the device (a UDP association or a console
 * never ends on its own); a failed call fails the writable too.
 */
import type * as grpc from "@grpc/grpc-js";
import type { Connection } from "./connection.ts";
import { callError, type CallOptions, grpcCallOptions } from "./call_options.ts";
import {
  type ByteStream,
  driverStreamRequest,
  FAST_PATH_OFFER_KEY,
  FAST_PATH_REQUEST_KEY,
  fastPathDisabled,
  openPeerStream,
  REQUEST_KEY,
} from "@jumpstarter/lib/streams";

/** An open driver byte stream. */
export interface DriverStream extends ByteStream, AsyncDisposable {
  /** Drops the stream in both directions (cancels the call); a no-op once it has ended. */
  abort(reason?: unknown): void;
}

/**
 * Opens `method` of driver `uuid` once the exporter has answered with its headers. Aborting
 * `options.signal` cancels the call (opening rejects, the streams fail, with its reason); past
 * `options.timeoutMs` (a gRPC deadline on the whole stream) they fail with `DriverTimeoutError`.
 */
export async function openDriverStream(
  connection: Connection,
  uuid: string,
  method: string,
  options: CallOptions = {},
): Promise<DriverStream> {
  options.signal?.throwIfAborted();
  const grpcOptions = grpcCallOptions(connection, options);
  grpcOptions.metadata.set(REQUEST_KEY, driverStreamRequest(uuid, method));
  if (!fastPathDisabled()) grpcOptions.metadata.set(FAST_PATH_REQUEST_KEY, "1");
  const failure = (error: unknown) => callError(error, options, grpcOptions, `stream "${method}"`);
  const call = connection.router.stream(grpcOptions);
  // the call is over once its status arrived, or once both directions ended cleanly
  let ended = false;
  let inboundEnded = false;
  let outboundEnded = false;
  call.on("status", () => ended = true);
  let headers: grpc.Metadata;
  try {
    headers = await new Promise<grpc.Metadata>((resolve, reject) => {
      call.once("metadata", resolve);
      call.once("error", reject);
    });
  } catch (error) {
    throw failure(error);
  }
  call.on("error", () => {/* surfaced through the streams */});
  const abort = () => {
    if (ended || (inboundEnded && outboundEnded)) return;
    ended = true;
    call.cancel();
  };
  // one adapter layer only: every extra web-stream hop costs promises per chunk
  const { readable, writable } = await openPeerStream(call, {
    target: connection.target,
    ...(connection.tls ? { tls: connection.tls } : {}),
    offer: headers.get(FAST_PATH_OFFER_KEY)[0],
    onOutboundEnd: () => {
      outboundEnded = true;
      call.end();
    },
    onInboundEnd: () => inboundEnded = true,
    onAbort: abort,
    mapError: failure,
  });
  return {
    readable,
    writable,
    abort,
    [Symbol.asyncDispose]: () => Promise.resolve(abort()),
  };
}
