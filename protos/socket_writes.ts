/**
 * Fewer, larger socket writes for a server's HTTP/2 connections (issue 11).
 *
 * Deno's node:http2 writes every frame it produces to the socket as a write of its own: a 64 KiB
 * byte-stream message to a peer that accepts 16 KiB frames (upstream's Python client) costs five
 * system calls, and a unary reply three, each waking the peer. Here writes are gathered and
 * handed to the socket as one buffer from the tick queue, one tick after the first so that the
 * message node:http2 sends from its own next tick joins the headers, but always before control
 * returns to the event loop: no write waits for I/O or a timer (gathering until the end of the
 * turn delayed a unary reply's trailers), unless a hold keeps them back ({@linkcode holdWrites}). They also leave as soon as they reach
 * {@linkcode COALESCE_LIMIT_BYTES}. Order is kept: a write with a callback or an encoding, and
 * `end()`, first send what is gathered. Measured with strace on the exporter, upstream's client
 * echoing 64 MiB: 5270 writes before, 957 after; 1000 DriverCalls: about 3200 before, 2100 after.
 * A lean unary reply holds them a little longer, until its trailers are queued
 * ({@linkcode holdWrites}): about 1000 writes per 1000 calls.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import { setImmediate } from "node:timers";
import type { Socket } from "node:net";

/** Gathered bytes that are sent at once instead of waiting for the end of the turn. */
export const COALESCE_LIMIT_BYTES = 256 * 1024;

const HOLD = Symbol("jumpstarter.holdWrites");
type Hold = (keepHolding: () => boolean) => void;
/**
 * How long gathered writes are held at most, whatever `keepHolding` says: calls arriving one
 * after another on a connection never keep its writes back longer than this.
 */
export const MAX_HOLD_MS = 2;

/** Options of {@linkcode coalesceWrites}. */
export interface CoalesceOptions {
  /** How long a hold lasts at most (default {@linkcode MAX_HOLD_MS}). */
  maxHoldMs?: number;
}

/**
 * Keeps back what `socket` (a socket given to {@linkcode coalesceWrites}, or an HTTP/2 session's
 * proxy of it) gathers, checking `keepHolding` at each `setImmediate` turn (queued after any
 * already scheduled), until it says no, a later hold says no, or {@linkcode MAX_HOLD_MS} passed
 * (gathered bytes reaching {@linkcode COALESCE_LIMIT_BYTES}, a write with a callback and `end()`
 * still send at once).
 * Deno's node:http2 writes a reply's headers and message from one `setImmediate` and its trailers
 * from another: a unary reply held until its trailers are queued leaves in one write, so the
 * caller reads it at one wake-up instead of two. A socket that does not coalesce is left alone.
 */
export function holdWrites(socket: unknown, keepHolding: () => boolean): void {
  try {
    (socket as { [HOLD]?: Hold } | undefined)?.[HOLD]?.(keepHolding);
  } catch { /* a session whose socket is gone: nothing to hold */ }
}

type Write = Socket["write"];
type End = Socket["end"];

/** Makes `socket` gather writes into fewer, larger ones (see the module doc). */
export function coalesceWrites(socket: Socket, options: CoalesceOptions = {}): void {
  const maxHoldMs = options.maxHoldMs ?? MAX_HOLD_MS;
  const write = socket.write as (...args: unknown[]) => boolean;
  const end = socket.end as (...args: unknown[]) => Socket;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  let held = false;
  const flush = () => {
    if (pending.length === 0) return;
    const chunks = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    if (socket.destroyed) return;
    write.call(socket, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes));
  };
  const flushLater = () => {
    scheduled = false;
    if (!held) flush();
  };
  const release = () => {
    held = false;
    flush();
  };
  let holds = 0;
  let heldSince = 0;
  (socket as { [HOLD]?: Hold })[HOLD] = (keepHolding) => {
    if (!held) {
      held = true;
      heldSince = performance.now();
    }
    const hold = ++holds;
    const check = () => {
      if (!held) return;
      if (performance.now() - heldSince >= maxHoldMs) return release();
      if (hold !== holds) return; // the latest hold decides (it always has a check pending)
      if (keepHolding()) setImmediate(check);
      else release();
    };
    setImmediate(check);
  };
  socket.write = function (this: Socket, ...args: unknown[]): boolean {
    const [chunk] = args;
    if (args.length > 1 || !(chunk instanceof Uint8Array)) {
      flush();
      return write.apply(this, args);
    }
    // the writer hands the chunk over for good, as with any stream write that may be buffered
    pending.push(chunk);
    pendingBytes += chunk.byteLength;
    if (pendingBytes >= COALESCE_LIMIT_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      process.nextTick(() => process.nextTick(flushLater));
    }
    return true;
  } as Write;
  socket.end = function (this: Socket, ...args: unknown[]): Socket {
    flush();
    return end.apply(this, args);
  } as End;
}
