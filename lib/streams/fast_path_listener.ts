/**
 * The exporter's end of the fast path (issue 11 item 3): a raw Unix socket next to the session
 * socket where a client, holding a single-use token issued in a RouterService.Stream's headers,
 * connects to move that stream's bytes without HTTP/2.
 */
import { FAST_PATH_TOKEN_BYTES, fastPathDisabled } from "./fast_path_protocol.ts";

/** How long a token waits for its connection before it expires. */
const DEFAULT_TOKEN_TTL_MS = 10_000;
/** How long a connection may take to send its token. */
const TOKEN_READ_DEADLINE_MS = 5_000;

/** A token issued for one stream; `claimed` settles once, with the connection or undefined. */
export interface FastPathOffer {
  /** What the client writes on the socket (hex text). */
  readonly token: string;
  /** The connection that presented the token, or undefined once it expired or was revoked. */
  readonly claimed: Promise<Deno.UnixConn | undefined>;
  /** Withdraws the token (the stream fell back to gRPC or went away). */
  revoke(): void;
}

interface Pending {
  resolve(conn: Deno.UnixConn | undefined): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Accepts fast-path connections on a Unix socket and hands each to the offer its token names. */
export class FastPathListener implements AsyncDisposable {
  /** The socket's path. */
  readonly path: string;
  readonly #listener: Deno.UnixListener;
  readonly #offers = new Map<string, Pending>();
  #claims = 0;
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(path: string, listener: Deno.UnixListener) {
    this.path = path;
    this.#listener = listener;
    this.#accepting = this.#acceptAll();
  }

  /** Listens at `path`; undefined when the fast path is disabled or the socket cannot be made. */
  static open(path: string): FastPathListener | undefined {
    if (fastPathDisabled()) return undefined;
    try {
      return new FastPathListener(path, Deno.listen({ transport: "unix", path }));
    } catch {
      return undefined;
    }
  }

  /** Issues a single-use token that expires after `ttlMs`. */
  offer(ttlMs = DEFAULT_TOKEN_TTL_MS): FastPathOffer {
    const bytes = crypto.getRandomValues(new Uint8Array(FAST_PATH_TOKEN_BYTES / 2));
    const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const { promise, resolve } = Promise.withResolvers<Deno.UnixConn | undefined>();
    const settle = (conn: Deno.UnixConn | undefined) => {
      const pending = this.#offers.get(token);
      if (!pending) return false;
      clearTimeout(pending.timer);
      this.#offers.delete(token);
      resolve(conn);
      return true;
    };
    const timer = setTimeout(() => settle(undefined), ttlMs);
    this.#offers.set(token, { resolve: settle, timer });
    if (this.#closed) settle(undefined);
    return { token, claimed: promise, revoke: () => settle(undefined) };
  }

  /** How many connections presented a valid token so far. */
  get claims(): number {
    return this.#claims;
  }

  /** How many tokens are waiting for their connection. */
  get pending(): number {
    return this.#offers.size;
  }

  async #acceptAll(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#admit(conn);
    } catch {
      // the listener was closed
    }
  }

  async #admit(conn: Deno.UnixConn): Promise<void> {
    const timer = setTimeout(() => conn.close(), TOKEN_READ_DEADLINE_MS);
    try {
      const token = await readToken(conn);
      clearTimeout(timer);
      const pending = token === undefined ? undefined : this.#offers.get(token);
      // a forged, replayed or expired token is refused at once: the connection just closes
      if (!pending) return conn.close();
      this.#claims++;
      pending.resolve(conn);
    } catch {
      clearTimeout(timer);
      try {
        conn.close();
      } catch {
        // closed by the deadline already
      }
    }
  }

  /** Stops listening, expires every token and removes the socket file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of [...this.#offers.values()]) pending.resolve(undefined);
    this.#listener.close();
    await this.#accepting;
    await Deno.remove(this.path).catch(() => {});
  }

  /** {@linkcode FastPathListener.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Reads exactly the token's bytes (never more: the stream's data follows at once). */
async function readToken(conn: Deno.UnixConn): Promise<string | undefined> {
  const buffer = new Uint8Array(FAST_PATH_TOKEN_BYTES);
  let filled = 0;
  while (filled < buffer.byteLength) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return undefined;
    filled += n;
  }
  return new TextDecoder().decode(buffer);
}
