/**
 * The one place that maps errors to gRPC status codes and back (driver exceptions on the exporter,
 * status errors on the client), following upstream's mapping.
 */
import {
  /** @ignore grpc-js's enum, documented by grpc-js (re-exporting it would lint grpc-js's declarations) */
  status,
} from "@grpc/grpc-js";

/** The gRPC status codes (grpc-js's `status` enum): `Code.NOT_FOUND`, `Code.UNAVAILABLE`, ... */
export const Code: typeof status = status;
/** One gRPC status code (a number: `Code.OK` is 0). */
export type Code = status;

/** Base of the errors Jumpstarter code raises and callers may catch; `code` is a gRPC status. */
export class JumpstarterError extends Error {
  /** The gRPC status this error travels as (and was received as, on a client). */
  readonly code: Code;

  /** `options.code` defaults to UNKNOWN; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions & { code?: Code }) {
    super(message, options);
    this.name = "JumpstarterError";
    this.code = options?.code ?? Code.UNKNOWN;
  }
}

/** A driver call failed on the exporter (status UNKNOWN, INTERNAL or UNAVAILABLE). */
export class DriverError extends JumpstarterError {
  /** `options.code` keeps the status received (UNKNOWN when none is given). */
  constructor(message: string, options?: ErrorOptions & { code?: Code }) {
    super(message, { code: Code.UNKNOWN, ...options });
    this.name = "DriverError";
  }
}

/** The driver does not export the method, or not with the kind of call used (NOT_FOUND). */
export class MethodNotFoundError extends JumpstarterError {
  /** Always status NOT_FOUND; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: Code.NOT_FOUND });
    this.name = "MethodNotFoundError";
  }
}

/** The driver declares the method but does not implement it (UNIMPLEMENTED). */
export class MethodNotImplementedError extends JumpstarterError {
  /** Always status UNIMPLEMENTED; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: Code.UNIMPLEMENTED });
    this.name = "MethodNotImplementedError";
  }
}

/** Arguments were rejected (INVALID_ARGUMENT), the counterpart of Python's ValueError. */
export class InvalidArgumentError extends JumpstarterError {
  /** Always status INVALID_ARGUMENT; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: Code.INVALID_ARGUMENT });
    this.name = "InvalidArgumentError";
  }
}

/** The operation did not finish in time (DEADLINE_EXCEEDED). */
export class DriverTimeoutError extends JumpstarterError {
  /** Always status DEADLINE_EXCEEDED; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: Code.DEADLINE_EXCEEDED });
    this.name = "DriverTimeoutError";
  }
}

/** The exporter is not in a state that accepts driver calls (FAILED_PRECONDITION). */
export class ExporterNotReadyError extends JumpstarterError {
  /** Always status FAILED_PRECONDITION; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: Code.FAILED_PRECONDITION });
    this.name = "ExporterNotReadyError";
  }
}

/** The peer could not be reached or the connection broke (UNAVAILABLE). */
export class ConnectionError extends JumpstarterError {
  /** Always status UNAVAILABLE; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: Code.UNAVAILABLE });
    this.name = "ConnectionError";
  }
}

const connectionErrors = [
  Deno.errors.ConnectionRefused,
  Deno.errors.ConnectionReset,
  Deno.errors.ConnectionAborted,
  Deno.errors.NotConnected,
  Deno.errors.BrokenPipe,
];

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Status details travel in an HTTP/2 trailer: longer messages (echoed input, say) are cut. */
export const MAX_STATUS_DETAILS = 2048;

function limitDetails(details: string): string {
  if (details.length <= MAX_STATUS_DETAILS) return details;
  const cut = details.length - MAX_STATUS_DETAILS;
  return `${details.slice(0, MAX_STATUS_DETAILS)}... (${cut} more characters)`;
}

/**
 * Maps an error thrown by a driver to the gRPC status sent to the caller: Jumpstarter errors keep
 * their code, `TypeError`/`RangeError` (bad arguments) become INVALID_ARGUMENT, timeouts
 * DEADLINE_EXCEEDED, connection failures UNAVAILABLE, other OS errors INTERNAL, the rest UNKNOWN.
 */
export function errorToStatus(error: unknown): { code: Code; details: string } {
  const details = limitDetails(errorMessage(error));
  if (error instanceof JumpstarterError) return { code: error.code, details };
  if (error instanceof TypeError || error instanceof RangeError) {
    return { code: Code.INVALID_ARGUMENT, details };
  }
  if (
    error instanceof Deno.errors.TimedOut ||
    (error instanceof DOMException && error.name === "TimeoutError")
  ) {
    return { code: Code.DEADLINE_EXCEEDED, details };
  }
  if (connectionErrors.some((kind) => error instanceof kind)) {
    return { code: Code.UNAVAILABLE, details };
  }
  if (error instanceof Error && Object.values(Deno.errors).some((kind) => error instanceof kind)) {
    return { code: Code.INTERNAL, details };
  }
  return { code: Code.UNKNOWN, details };
}

function isStatusError(error: unknown): error is Error & { code: number; details?: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number";
}

/** Drops the empty "Resolution note:" grpc-js appends to connection errors. */
export function withoutResolutionNote(text: string): string {
  return text.replace(/\.?\s*Resolution note:\s*$/, "");
}

/**
 * Maps a gRPC status error received by a client to the matching Jumpstarter error (the status
 * details become the message, the original error the cause). Anything else is returned as is.
 */
export function statusToError(error: unknown): unknown {
  if (!isStatusError(error) || error instanceof JumpstarterError) return error;
  const message = withoutResolutionNote(error.details || error.message);
  const options = { cause: error };
  switch (error.code) {
    case Code.NOT_FOUND:
      return new MethodNotFoundError(message, options);
    case Code.UNIMPLEMENTED:
      return new MethodNotImplementedError(message, options);
    case Code.INVALID_ARGUMENT:
      return new InvalidArgumentError(message, options);
    case Code.DEADLINE_EXCEEDED:
      return new DriverTimeoutError(message, options);
    case Code.FAILED_PRECONDITION:
      return new ExporterNotReadyError(message, options);
    case Code.UNAVAILABLE:
      return new ConnectionError(message, options);
    default:
      return new DriverError(message, { ...options, code: error.code });
  }
}

/**
 * Whether a call failed because the connection to the server could not be made or broke under
 * it, so that the same call may succeed on a new connection (to another controller replica, say):
 * UNAVAILABLE, DEADLINE_EXCEEDED, or the INTERNAL grpc-js reports when its own end of the
 * connection failed mid-call (on Deno a peer killed mid-call is a broken pipe there, which
 * grpc-js does not map to UNAVAILABLE as it does a reset).
 */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof JumpstarterError) && !isStatusError(error)) return false;
  if (error.code === Code.UNAVAILABLE || error.code === Code.DEADLINE_EXCEEDED) return true;
  return error.code === Code.INTERNAL && /triggered by internal client error/.test(error.message);
}
