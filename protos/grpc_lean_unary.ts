/**
 * A lean path for unary calls (issue 11 item 4: DriverCall latency).
 *
 * Under Deno, a unary call through grpc-js's server machinery (intercepting call, listener
 * chain, asynchronous decompression, and a reply that ends the stream only once the message's
 * write has completed) costs a quarter more exporter CPU per DriverCall than serving it straight
 * on the HTTP/2 stream (`bench/lean_unary.ts`: CPU per call 0.75-0.78x, p50 0.83-0.96x, from
 * upstream's stub). Our own per-call work (dispatch, Value codec, log record) is about 5 us of
 * it; the rest is grpc-js and Deno's node:http2. Handlers marked with
 * {@linkcode leanUnary}, whose implementation reads nothing from the call but the request, are
 * served directly on the HTTP/2 stream instead: the request is read whole, decoded with the
 * method's own deserializer, and the reply goes out as headers, the message and the trailers in
 * one go, ended at once. For a small reply (most are), the connection's writes are held until its
 * trailers are queued (`holdWrites`), so the whole reply leaves in one socket write and the caller
 * wakes once for it: strace on a server answering 2000 calls from upstream's stub, 4046 writes
 * before, 2058 after.
 *
 * grpc-js keeps every call the lean path does not cover: a server with interceptors, a
 * compressed request (`grpc-encoding`), a deadline (`grpc-timeout`), any other kind of method.
 * What the caller sees is the same as from grpc-js: its response headers, statuses and limits.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type { ServerHttp2Stream } from "node:http2";
import { holdWrites } from "./socket_writes.ts";

const LEAN = Symbol("jumpstarter.leanUnary");
const PREFIX_BYTES = 5;
/**
 * Largest reply held back until its trailers are queued: well within HTTP/2's default 64 KiB
 * window, so it never waits on the caller's WINDOW_UPDATE while held.
 */
const HOLD_REPLY_BYTES = 16 * 1024;
/** grpc-js's default limit on a received message. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

type UnaryFunction = (
  call: { request: unknown },
  callback: (error: Partial<grpc.ServiceError> | null, value?: unknown) => void,
) => void;

/** What the lean path needs of a handler grpc-js registered (grpc-js 1.14's `Handler`). */
interface RegisteredHandler {
  type: string;
  func: UnaryFunction & { [LEAN]?: true };
  serialize(value: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

/** What the lean path needs of grpc-js's server internals (grpc-js 1.14). */
export interface LeanServerInternals {
  interceptors?: unknown[];
  _retrieveHandler?(path: string): RegisteredHandler | null;
  onStreamOpened?(stream: ServerHttp2Stream): void;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Marks every unary method of a grpc-js implementation as served on the lean path. Only for
 * implementations that read nothing from the call but `call.request` (they get no metadata,
 * peer or cancellation events).
 */
export function leanUnary(
  implementation: grpc.UntypedServiceImplementation,
): grpc.UntypedServiceImplementation {
  for (const method of Object.values(implementation)) {
    if (typeof method === "function") markLean(method);
  }
  return implementation;
}

// grpc-js registers `method.bind(implementation)`, a new function: the mark must follow it
function markLean(method: { [LEAN]?: true; bind: typeof Function.prototype.bind }) {
  method[LEAN] = true;
  method.bind = function (this: typeof method, ...args: Parameters<typeof method.bind>) {
    return markLean(Function.prototype.bind.apply(this as unknown as () => void, args));
  } as typeof method.bind;
  return method;
}

/**
 * Serves `stream` on the lean path when its call qualifies; false leaves it to grpc-js
 * untouched (nothing read, nothing sent).
 */
export function serveLean(
  server: LeanServerInternals,
  extraInterceptors: unknown[],
  stream: ServerHttp2Stream,
  headers: Headers,
): boolean {
  if (extraInterceptors.length > 0 || (server.interceptors?.length ?? 0) > 0) return false;
  const contentType = headers["content-type"];
  if (typeof contentType !== "string" || !contentType.startsWith("application/grpc")) return false;
  if (headers["grpc-timeout"] !== undefined) return false;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return false;
  const path = headers[":path"];
  if (typeof path !== "string" || typeof server._retrieveHandler !== "function") return false;
  const handler = server._retrieveHandler(path);
  if (!handler || handler.type !== "unary" || !handler.func[LEAN]) return false;
  // as grpc-js: a stream error always comes with a close, and nothing can be sent on it anyway
  stream.once("error", () => {});
  server.onStreamOpened?.(stream);
  readRequest(stream, (failure, bytes) => {
    if (failure) return respondStatus(stream, failure.code, failure.details);
    let request: unknown;
    try {
      request = handler.deserialize(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return respondStatus(stream, grpc.status.INTERNAL, `Error deserializing request: ${reason}`);
    }
    handler.func({ request }, (error, value) => {
      if (error) {
        const code = typeof error.code === "number" ? error.code : grpc.status.UNKNOWN;
        return respondStatus(stream, code, error.details ?? error.message ?? "Unknown Error");
      }
      respondMessage(stream, handler, value);
    });
  });
  return true;
}

/** Gathers the request's one message (without its prefix), or says why there is none. */
function readRequest(
  stream: ServerHttp2Stream,
  done: (failure: { code: grpc.status; details: string } | null, bytes: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let failed = false;
  const fail = (code: grpc.status, details: string) => {
    failed = true;
    stream.removeAllListeners("data");
    stream.resume(); // drain what still comes; the status is sent at once
    done({ code, details }, Buffer.alloc(0));
  };
  stream.on("data", (chunk: Buffer) => {
    if (failed) return;
    chunks.push(chunk);
    bytes += chunk.byteLength;
    if (bytes > MAX_REQUEST_BYTES + PREFIX_BYTES) {
      fail(
        grpc.status.RESOURCE_EXHAUSTED,
        `Received message larger than max (${bytes - PREFIX_BYTES} vs ${MAX_REQUEST_BYTES})`,
      );
    }
  });
  stream.once("end", () => {
    if (failed) return;
    const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
    if (whole.byteLength < PREFIX_BYTES) {
      return done(
        { code: grpc.status.UNIMPLEMENTED, details: "Received no request message" },
        whole,
      );
    }
    const size = whole.readUInt32BE(1);
    if (whole[0] !== 0) {
      return done({
        code: grpc.status.INTERNAL,
        details: "Received a compressed message without a grpc-encoding",
      }, whole);
    }
    if (whole.byteLength !== PREFIX_BYTES + size) {
      const details = whole.byteLength < PREFIX_BYTES + size
        ? "Received a truncated request message"
        : "Received a second request message for a unary method";
      return done({ code: grpc.status.UNIMPLEMENTED, details }, whole);
    }
    done(null, whole.subarray(PREFIX_BYTES));
  });
}

/** The reply a caller that went away no longer gets: nothing to send. */
function gone(stream: ServerHttp2Stream): boolean {
  return stream.destroyed || stream.closed || stream.headersSent;
}

function respondStatus(stream: ServerHttp2Stream, code: grpc.status, details: string): void {
  if (gone(stream)) return;
  // trailers-only, as grpc-js answers a call that fails before its first message
  stream.respond({
    ":status": 200,
    "content-type": "application/grpc+proto",
    "grpc-status": String(code),
    "grpc-message": encodeURI(details),
  }, { endStream: true });
}

function respondMessage(stream: ServerHttp2Stream, handler: RegisteredHandler, value: unknown) {
  let message: Buffer;
  try {
    message = handler.serialize(value);
  } catch {
    return respondStatus(stream, grpc.status.INTERNAL, "Error serializing response");
  }
  if (gone(stream)) return;
  const framed = Buffer.allocUnsafe(PREFIX_BYTES + message.byteLength);
  framed[0] = 0;
  framed.writeUInt32BE(message.byteLength, 1);
  framed.set(message, PREFIX_BYTES);
  const socket = stream.session?.socket;
  let awaitingTrailers = true;
  // a bigger reply may wait on the caller's flow-control window, which it only opens once it
  // got the bytes: holding them would stall the reply
  const hold = framed.byteLength <= HOLD_REPLY_BYTES;
  if (hold) holdWrites(socket, () => awaitingTrailers && !stream.destroyed && !stream.closed);
  stream.respond({
    ":status": 200,
    "content-type": "application/grpc+proto",
    "grpc-accept-encoding": "identity,deflate,gzip",
    "grpc-encoding": "identity",
  }, { waitForTrailers: true });
  stream.once("wantTrailers", () => {
    awaitingTrailers = false;
    if (!stream.destroyed && !stream.closed) {
      stream.sendTrailers({ "grpc-status": "0", "grpc-message": "OK" });
      if (hold) holdWrites(socket, () => false);
    }
  });
  stream.end(framed);
}
