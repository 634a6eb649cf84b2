/**
 * Per-call options (abort signal, timeout) as every client call and stream applies them: handed
 * to gRPC, and turned into the error the caller sees when they end the call.
 */
import { DriverTimeoutError, statusToError } from "@jumpstarter/lib/wire";
import type { Connection } from "./connection.ts";

/** Per-call options of a client call or stream. */
export interface CallOptions {
  /** Aborting cancels the call; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Milliseconds the call may take (a gRPC deadline): a unary call must be answered, a stream
   * must have ended by then. Past it the call is cancelled with `DriverTimeoutError`.
   */
  timeoutMs?: number;
}

/** What a gRPC call of the session is made with. */
export interface GrpcCallOptions {
  metadata: ReturnType<Connection["metadata"]>;
  signal?: AbortSignal;
  deadline?: Date;
}

/** The gRPC options of a call: the session's metadata, the signal and the deadline. */
export function grpcCallOptions(connection: Connection, options: CallOptions): GrpcCallOptions {
  return {
    metadata: connection.metadata(),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs === undefined
      ? {}
      : { deadline: new Date(Date.now() + options.timeoutMs) }),
  };
}

/**
 * The error a failed call made with `grpc` reports: an abort's own reason; once its deadline
 * has passed, a timeout naming `what` and the time it had; else the mapped gRPC status (a
 * driver's own timeout included).
 */
export function callError(
  error: unknown,
  options: CallOptions,
  grpc: GrpcCallOptions,
  what: string,
): unknown {
  if (options.signal?.aborted) return options.signal.reason;
  const mapped = statusToError(error);
  const deadlinePassed = grpc.deadline !== undefined && Date.now() >= grpc.deadline.getTime();
  // a raw DEADLINE_EXCEEDED status only: an error already mapped keeps its message
  if (mapped instanceof DriverTimeoutError && mapped !== error && deadlinePassed) {
    return new DriverTimeoutError(`${what} did not finish within ${options.timeoutMs} ms`, {
      cause: error,
    });
  }
  return mapped;
}
