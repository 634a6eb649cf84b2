/**
 * HTTP/2 settings of every gRPC server and channel we run, in one place: raised flow-control
 * windows and a larger accepted frame size (issue 11: the defaults halve byte-stream throughput
 * and cost CPU per byte under Deno's node:http2), and fewer copies of every message in grpc-js
 * (`grpc_copies.ts`).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Socket } from "node:net";
import { installGrpcCopyCuts } from "./grpc_copies.ts";
import { coalesceWrites } from "./socket_writes.ts";
import { type LeanServerInternals, serveLean } from "./grpc_lean_unary.ts";
import { guardHttp2Sessions } from "./http2_reentry.ts";

/**
 * HTTP/2 flow-control window (connection and each stream) of every gRPC server and channel we
 * run. HTTP/2's 64 KiB default halves byte-stream throughput and costs CPU per byte.
 */
export const HTTP2_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Largest HTTP/2 DATA frame our servers accept (HTTP/2's default is 16 KiB). A byte-stream chunk
 * of up to this size then arrives as one frame instead of several, which cut the exporter's CPU
 * per GiB from upstream's client by about a quarter; it stays small enough that a bulk upload
 * holds up a call on the same connection for about a millisecond at most.
 */
export const HTTP2_MAX_FRAME_BYTES = 256 * 1024;

/**
 * grpc-js's channelz bookkeeping, on by default, reads the clock and updates counters for every
 * message and call; nothing of ours reads it, so every server and channel turns it off.
 */
const CHANNELZ_OFF = { "grpc.enable_channelz": 0 } as const;

/** Channel options that raise the client's connection and stream windows (and skip channelz). */
export const CHANNEL_WINDOW_OPTIONS: grpc.ChannelOptions = channelWindowOptions(HTTP2_WINDOW_BYTES);

/** Channel options for a window of `bytes` (benchmarks compare sizes with it). */
export function channelWindowOptions(bytes: number): grpc.ChannelOptions {
  return { "grpc-node.flow_control_window": bytes, ...CHANNELZ_OFF };
}

/** What grpc-js keeps private but the window setup needs (grpc-js 1.14). */
interface ServerInternals extends LeanServerInternals {
  commonServerOptions?: { settings?: Record<string, unknown> };
  _setupHandlers?: (http2Server: Http2ServerLike | null, ...rest: unknown[]) => void;
  _streamHandler?: (
    this: ServerInternals,
    extraInterceptors: unknown[],
    stream: Parameters<typeof serveLean>[2],
    headers: Parameters<typeof serveLean>[3],
  ) => void;
}

interface Http2ServerLike {
  on(event: "connection", listener: (socket: Socket) => void): void;
  on(
    event: "session",
    listener: (session: { setLocalWindowSize(size: number): void }) => void,
  ): void;
}

/**
 * Creates a grpc-js server whose HTTP/2 connection and stream windows (and largest accepted
 * frame) are raised. grpc-js has no option for it; the stream window and frame size go into the
 * HTTP/2 server settings, and the connection window is set on each new session (under Deno a
 * server session never emits `localSettings`, the usual place to do it). Unary methods marked with
 * `leanUnary` skip grpc-js's call machinery (`grpc_lean_unary.ts`). Its sessions, like every
 * node:http2 session of the process, are guarded against Deno's use-after-free when a peer hangs
 * up (`http2_reentry.ts`).
 */
export function createServer(
  options: grpc.ServerOptions = {},
  windowBytes: number = HTTP2_WINDOW_BYTES,
): grpc.Server {
  guardHttp2Sessions();
  installGrpcCopyCuts();
  const server = new grpc.Server({ ...CHANNELZ_OFF, ...options });
  const internals = server as unknown as ServerInternals;
  const common = internals.commonServerOptions;
  const setup = internals._setupHandlers;
  if (!common || typeof setup !== "function") return server;
  const handleStream = internals._streamHandler;
  if (typeof handleStream === "function") {
    // read when grpc-js binds its stream listener, so it must be in place before any bind
    internals._streamHandler = function (extraInterceptors, stream, headers) {
      if (serveLean(this, extraInterceptors, stream, headers)) return;
      handleStream.call(this, extraInterceptors, stream, headers);
    };
  }
  common.settings = {
    ...common.settings,
    initialWindowSize: windowBytes,
    maxFrameSize: HTTP2_MAX_FRAME_BYTES,
  };
  internals._setupHandlers = function (http2Server, ...rest) {
    setup.call(this, http2Server, ...rest);
    http2Server?.on("connection", coalesceWrites);
    http2Server?.on("session", (session) => {
      try {
        session.setLocalWindowSize(windowBytes);
      } catch { /* a session closing already */ }
    });
  };
  return server;
}
