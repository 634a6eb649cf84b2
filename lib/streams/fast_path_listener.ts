/**
 * The exporter's end of the fast path (issue 11 item 3): a raw socket where a client, holding a
 * single-use token issued in a RouterService.Stream's headers, connects to move that stream's
 * bytes without HTTP/2. It listens on a Unix socket next to the session socket (local mode), on a
 * TCP port of its own, TLS when the session is (direct mode), or both; one token is good on any.
 */
import { FAST_PATH_TOKEN_BYTES, fastPathDisabled } from "./fast_path_protocol.ts";
import type { RawConn } from "./fast_path_frames.ts";

/** How long a token waits for its connection before it expires. */
const DEFAULT_TOKEN_TTL_MS = 10_000;
/** How long a connection may take to send its token. */
const TOKEN_READ_DEADLINE_MS = 5_000;

/** A token issued for one stream; `claimed` settles once, with the connection or undefined. */
export interface FastPathOffer {
  /** What the client writes on the socket (hex text). */
  readonly token: string;
  /** The connection that presented the token, or undefined once it expired or was revoked. */
  readonly claimed: Promise<RawConn | undefined>;
  /** Withdraws the token (the stream fell back to gRPC or went away). */
  revoke(): void;
}

/** Where {@linkcode FastPathListener.listenTcp} listens; with `cert` and `key`, TLS. */
export interface FastPathTcpOptions {
  /** The address to bind, as the session's listener (`0.0.0.0`, `127.0.0.1`, ...). */
  hostname: string;
  /** The port; 0 (default) picks a free one, which the offers name. */
  port?: number;
  /** PEM certificate chain: TLS, as the session's own port. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
}

/**
 * Connects through a router for a token, as the exporter's side (distributed mode); the connection
 * once the client's side is there too, else undefined. Aborted when the token settles otherwise.
 */
export type SpliceDialer = (token: string, signal: AbortSignal) => Promise<RawConn | undefined>;

interface Pending {
  resolve(conn: RawConn | undefined): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Accepts fast-path connections and hands each to the offer its token names. */
export class FastPathListener implements AsyncDisposable {
  /** The Unix socket's path, when it listens on one. */
  readonly path: string | undefined;
  #port: number | undefined;
  #tls = false;
  readonly #listeners: Deno.Listener[] = [];
  readonly #offers = new Map<string, Pending>();
  #claims = 0;
  readonly #accepting: Promise<void>[] = [];
  #closed = false;
  #splice: SpliceDialer | undefined;
  #spliceAvailable: () => boolean = () => false;

  private constructor(path?: string) {
    this.path = path;
  }

  /** Listens at `path`; undefined when the fast path is disabled or the socket cannot be made. */
  static open(path: string): FastPathListener | undefined {
    if (fastPathDisabled()) return undefined;
    const fastPath = new FastPathListener(path);
    try {
      fastPath.#listen(Deno.listen({ transport: "unix", path }));
    } catch {
      return undefined;
    }
    return fastPath;
  }

  /** A listener on TCP only; undefined when the fast path is disabled or the port cannot be had. */
  static openTcp(options: FastPathTcpOptions): FastPathListener | undefined {
    if (fastPathDisabled()) return undefined;
    const fastPath = new FastPathListener();
    return fastPath.listenTcp(options) ? fastPath : undefined;
  }

  /**
   * Also listens on TCP (TLS with `cert` and `key`); false when it cannot (the offers then name
   * no port and remote clients stay on gRPC frames).
   */
  listenTcp(options: FastPathTcpOptions): boolean {
    if (this.#closed || this.#port !== undefined) return false;
    const address = { hostname: options.hostname, port: options.port ?? 0 };
    try {
      const listener = options.cert && options.key
        ? Deno.listenTls({ ...address, cert: options.cert, key: options.key })
        : Deno.listen(address);
      this.#port = (listener.addr as Deno.NetAddr).port;
      this.#tls = Boolean(options.cert && options.key);
      this.#listen(listener);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Also meets clients through a router: while `available()` (a router named its splice port),
   * every offer dials it at once (the header says `splice`), and whichever connection comes
   * first, this one or one on a socket, claims it.
   */
  spliceThrough(dialer: SpliceDialer | undefined, available: () => boolean = () => true): void {
    this.#splice = dialer;
    this.#spliceAvailable = available;
  }

  /** Whether offers are also met through a router (one that named its splice port). */
  get splices(): boolean {
    return this.#splice !== undefined && this.#spliceAvailable();
  }

  /** The TCP port, when it listens on one. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Whether the TCP port speaks TLS. */
  get tls(): boolean {
    return this.#tls;
  }

  /** Issues a single-use token that expires after `ttlMs`. */
  offer(ttlMs = DEFAULT_TOKEN_TTL_MS): FastPathOffer {
    const bytes = crypto.getRandomValues(new Uint8Array(FAST_PATH_TOKEN_BYTES / 2));
    const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const { promise, resolve } = Promise.withResolvers<RawConn | undefined>();
    const settle = (conn: RawConn | undefined) => {
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
    if (this.splices && !this.#closed) this.#spliceFor(token, promise);
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

  /**
   * Hands `conn` to the offer whose token it presents next (a connection that reached us some
   * other way, such as spliced by a router); it is closed when the token is unknown.
   */
  admit(conn: RawConn): Promise<void> {
    return this.#admit(conn);
  }

  #spliceFor(token: string, claimed: Promise<RawConn | undefined>): void {
    const giveUp = new AbortController();
    claimed.then(() => giveUp.abort());
    this.#splice!(token, giveUp.signal).then((conn) => {
      if (!conn) return;
      const pending = this.#offers.get(token);
      if (!pending) return closeQuietly(conn);
      this.#claims++;
      pending.resolve(conn);
    }, () => {});
  }

  #listen(listener: Deno.Listener): void {
    this.#listeners.push(listener);
    this.#accepting.push((async () => {
      try {
        for await (const conn of listener) {
          if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay?.(true);
          this.#admit(conn);
        }
      } catch {
        // the listener was closed
      }
    })());
  }

  async #admit(conn: RawConn): Promise<void> {
    const timer = setTimeout(() => closeQuietly(conn), TOKEN_READ_DEADLINE_MS);
    try {
      const token = await readToken(conn);
      clearTimeout(timer);
      const pending = token === undefined ? undefined : this.#offers.get(token);
      // a forged, replayed or expired token is refused at once: the connection just closes
      if (!pending) return closeQuietly(conn);
      this.#claims++;
      pending.resolve(conn);
    } catch {
      clearTimeout(timer);
      closeQuietly(conn);
    }
  }

  /** Stops listening, expires every token and removes the socket file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of [...this.#offers.values()]) pending.resolve(undefined);
    for (const listener of this.#listeners) listener.close();
    await Promise.all(this.#accepting);
    if (this.path !== undefined) await Deno.remove(this.path).catch(() => {});
  }

  /** {@linkcode FastPathListener.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function closeQuietly(conn: RawConn): void {
  try {
    conn.close();
  } catch {
    // closed already (by the deadline, say)
  }
}

/** Reads exactly the token's bytes (never more: the stream's data follows at once). */
async function readToken(conn: RawConn): Promise<string | undefined> {
  const buffer = new Uint8Array(FAST_PATH_TOKEN_BYTES);
  let filled = 0;
  while (filled < buffer.byteLength) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return undefined;
    filled += n;
  }
  return new TextDecoder().decode(buffer);
}
