/**
 * A guard for Deno's node:http2 against a use-after-free inside nghttp2 (denoland/deno#36788):
 * without it, a server whose clients make calls and hang up dies of SIGABRT after a few hundred
 * connections, with `free(): invalid pointer` or nghttp2's `find_stream_on_goaway_func`
 * assertion, and a client dies the same way when its server says GOAWAY.
 *
 * The cause, in Deno 2.9's binding (`ext/node/ops/http2/session.rs`): `Session::receive_data` sets
 * `is_sending` around `nghttp2_session_mem_recv` so that JS called back from nghttp2 cannot
 * re-enter it or tear it down (`send_pending_data`, `get_outgoing_chunk` and the `destroy` op
 * all look at the flag). In the release build the flag is still false inside those callbacks
 * (the store is lost: `receive_data` holds `&mut self` across the C call that reaches the same
 * `Session` again through nghttp2's `user_data`, so the compiler may treat the store as dead).
 * So when a peer's GOAWAY arrives and no stream is open, node:http2's `onGoawayData` runs
 * `session.close()` → `goaway()` → `sendPending()` → `ongracefulclosecomplete` → `destroy()`,
 * and the `destroy` op calls `nghttp2_session_del` while `nghttp2_session_mem_recv` is still
 * processing that GOAWAY frame; nghttp2 then walks and writes the freed session
 * (valgrind: reads and writes inside a freed 2,760-byte block, allocated by
 * `nghttp2_session_server_new3`, on every such hang-up). Whether the process dies depends on
 * who reuses that memory first.
 *
 * The guard restores, in JS, what the flag was meant to do, for every session of the process
 * (server and client; they share one native class): while a session's `receive` runs, its
 * `destroy` waits until `receive` has returned, `getOutgoingChunk` (nghttp2's send loop) yields
 * nothing and the native `sendPending` is skipped, and a nested `receive` is queued behind the
 * current one. Once `receive` has returned, what was held back is sent (such as the GOAWAY
 * node:http2 answers a GOAWAY with), then the destroy that waited runs.
 *
 * @module
 */
import http2 from "node:http2";
import { Duplex } from "node:stream";

/** The native methods of Deno's `Http2Session` handle the guard wraps. */
interface NativeSession {
  receive(data: Uint8Array): void;
  getOutgoingChunk(): Uint8Array;
  sendPending(): void;
  destroy(...args: unknown[]): void;
}

/** A session's `receive` nesting and the work waiting for its end. */
interface Reentry {
  depth: number;
  /** a send was held back: send once `receive` returns (not every caller sends after it) */
  sendWanted: boolean;
  deferred: (() => void)[];
  /** a deferred destroy ran: what is still queued (receives) is dropped */
  destroyed: boolean;
}

const NOTHING = new Uint8Array(0);
const reentry = new WeakMap<object, Reentry>();
let guarded: boolean | undefined;

/**
 * Installs the guard (see the module doc) once per process. Returns whether it is in place: false
 * when the node:http2 at hand has no such native handle (a Deno whose binding changed, or Node).
 */
export function guardHttp2Sessions(): boolean {
  guarded ??= install();
  return guarded;
}

function install(): boolean {
  const proto = nativeSessionPrototype();
  if (!proto) return false;
  const { receive, getOutgoingChunk, sendPending, destroy } = proto;
  proto.receive = function (this: NativeSession, data: Uint8Array): void {
    const state = stateOf(this);
    if (state.depth > 0) {
      state.deferred.push(() => this.receive(data));
      return;
    }
    state.depth++;
    try {
      receive.call(this, data);
    } finally {
      state.depth--;
      if (state.sendWanted) {
        state.sendWanted = false;
        this.sendPending(); // node:http2's own, which writes what nghttp2 has to the socket
      }
      runDeferred(state);
    }
  };
  proto.getOutgoingChunk = function (this: NativeSession): Uint8Array {
    return holdBack(this) ? NOTHING : getOutgoingChunk.call(this);
  };
  proto.sendPending = function (this: NativeSession): void {
    if (!holdBack(this)) sendPending.call(this);
  };
  proto.destroy = function (this: NativeSession, ...args: unknown[]): void {
    if (!receiving(this)) return destroy.apply(this, args);
    const state = stateOf(this);
    state.deferred.push(() => {
      state.destroyed = true;
      destroy.apply(this, args);
    });
  };
  return true;
}

/**
 * Runs what waited for `receive` to return, in order, each on its own: one that throws does not
 * keep the rest (a destroy) from running; the first error is rethrown after them. A receive queued
 * behind a destroy is dropped, its session being gone.
 */
function runDeferred(state: Reentry): void {
  let failure: { error: unknown } | undefined;
  while (state.deferred.length > 0) {
    const task = state.deferred.shift()!;
    if (state.destroyed) {
      state.deferred.length = 0;
      break;
    }
    try {
      task();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

function stateOf(session: object): Reentry {
  let state = reentry.get(session);
  if (!state) {
    state = { depth: 0, sendWanted: false, deferred: [], destroyed: false };
    reentry.set(session, state);
  }
  return state;
}

function receiving(session: object): boolean {
  return (reentry.get(session)?.depth ?? 0) > 0;
}

/** Whether a send must wait for `receive` to return; it is then sent after. */
function holdBack(session: object): boolean {
  const state = reentry.get(session);
  if (!state || state.depth === 0) return false;
  state.sendWanted = true;
  return true;
}

/** The prototype of the native session handle, from a client session over a throwaway stream. */
function nativeSessionPrototype(): NativeSession | undefined {
  const socket = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
  const session = http2.connect("http://localhost", { createConnection: () => socket as never });
  session.on("error", () => {});
  try {
    const key = Object.getOwnPropertySymbols(session).find((s) => s.description === "kHandle");
    const handle = key && (session as unknown as Record<symbol, unknown>)[key];
    if (!handle || typeof handle !== "object") return undefined;
    const proto = Object.getPrototypeOf(handle) as Partial<NativeSession> | null;
    const methods = ["receive", "getOutgoingChunk", "sendPending", "destroy"] as const;
    if (!proto || !methods.every((m) => typeof proto[m] === "function")) return undefined;
    return proto as NativeSession;
  } finally {
    session.destroy();
    socket.destroy();
  }
}
