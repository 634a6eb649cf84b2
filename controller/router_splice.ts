/**
 * The router's splice port (issue 11 item 3, distributed mode): our client's and our exporter's
 * raw connections for one fast-path stream meet here and the router copies bytes between them,
 * without HTTP/2 (see lib/streams/fast_path_splice.ts for the handshake). Each connection must
 * hold a valid router token; the stream's single-use token pairs the two and is spent once they
 * are paired (a replay is refused at once, an unknown token times out unpaired). Upstream peers
 * never learn of the port: the router names it only on a tunnel whose caller asked.
 */
import net from "node:net";
import tls from "node:tls";
import {
  fastPathDisabled,
  nodeSocketConn,
  type RawConn,
  readSpliceHello,
  SPLICE_PAIRED,
  spliceConns,
  type SpliceSide,
  writeAllTo,
} from "@jumpstarter/lib/streams";
import { AuthFailureThrottle } from "@jumpstarter/lib/wire";
import type { Authority } from "./auth.ts";

/** How long a connection may take to send its handshake. */
const HELLO_DEADLINE_MS = 5_000;
/** How long a connection waits for its other side (the exporter's token lives as long). */
const PARK_MS = 10_000;
/** How long a spent stream token is remembered, to refuse a replay at once. */
const SPENT_MS = 60_000;

/** Where {@linkcode SpliceRouter.listen} listens; with `cert` and `key`, TLS. */
export interface SpliceListenOptions {
  hostname: string;
  port?: number;
  cert?: string;
  key?: string;
}

interface Parked {
  side: SpliceSide;
  conn: RawConn;
  timer: ReturnType<typeof setTimeout>;
}

/** Pairs splice connections by stream token and copies between them. */
export class SpliceRouter implements AsyncDisposable {
  readonly #authority: Authority;
  readonly #server: net.Server;
  readonly #parked = new Map<string, Parked>();
  readonly #spent = new Map<string, number>();
  readonly #live = new Set<RawConn>();
  readonly #failures = new AuthFailureThrottle();
  #paired = 0;
  #refused = 0;
  #bytes = 0;

  private constructor(authority: Authority, server: net.Server) {
    this.#authority = authority;
    this.#server = server;
  }

  /**
   * Listens (node:net or node:tls, as the TLS front: a node:tls peer under Deno never sees a Deno
   * TLS half-close); undefined when the fast path is disabled or the port cannot be had.
   */
  static async listen(
    authority: Authority,
    options: SpliceListenOptions,
  ): Promise<SpliceRouter | undefined> {
    if (fastPathDisabled()) return undefined;
    const onSocket = (socket: net.Socket) => {
      socket.setNoDelay(true);
      const conn = nodeSocketConn(socket);
      router.#admit(conn, socket.remoteAddress ?? "unknown").catch(() => closeQuietly(conn));
    };
    const server = options.cert && options.key
      ? tls.createServer({ cert: options.cert, key: options.key, allowHalfOpen: true }, onSocket)
      : net.createServer({ allowHalfOpen: true }, onSocket);
    server.on("tlsClientError", () => {/* a failed handshake only affects that peer */});
    const router = new SpliceRouter(authority, server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, options.hostname, () => resolve());
      });
    } catch {
      return undefined;
    }
    return router;
  }

  /** The splice port. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Streams spliced since start. */
  get paired(): number {
    return this.#paired;
  }

  /** Connections refused (bad handshake or router token, a replay, a second side). */
  get refused(): number {
    return this.#refused;
  }

  /** Connections waiting for their other side. */
  get parked(): number {
    return this.#parked.size;
  }

  async #admit(conn: RawConn, source: string): Promise<void> {
    const deadline = setTimeout(() => closeQuietly(conn), HELLO_DEADLINE_MS);
    const hello = await readSpliceHello(conn).finally(() => clearTimeout(deadline));
    if (!hello) return this.#refuse(conn, source, "malformed splice handshake");
    try {
      await this.#authority.verifyRouterToken(hello.routerToken);
    } catch {
      return this.#refuse(conn, source, "splice: invalid router token");
    }
    this.#forgetSpent();
    const token = hello.streamToken;
    if (this.#spent.has(token)) return this.#refuse(conn, source, "splice: replayed stream token");
    const waiting = this.#parked.get(token);
    if (!waiting) {
      const timer = setTimeout(() => {
        if (this.#parked.get(token)?.conn === conn) this.#parked.delete(token);
        closeQuietly(conn);
      }, PARK_MS);
      this.#parked.set(token, { side: hello.side, conn, timer });
      return;
    }
    if (waiting.side === hello.side) {
      return this.#refuse(conn, source, `splice: a second ${hello.side} for one stream`);
    }
    clearTimeout(waiting.timer);
    this.#parked.delete(token);
    this.#spent.set(token, Date.now() + SPENT_MS);
    this.#paired++;
    const ends = [waiting.conn, conn];
    for (const end of ends) this.#live.add(end);
    (async () => {
      const paired = new Uint8Array([SPLICE_PAIRED]);
      try {
        await Promise.all([writeAllTo(waiting.conn, paired), writeAllTo(conn, paired)]);
      } catch {
        closeQuietly(waiting.conn);
        closeQuietly(conn);
        return;
      }
      await spliceConns(waiting.conn, conn, (bytes) => this.#bytes += bytes);
    })().finally(() => {
      for (const end of ends) this.#live.delete(end);
    });
  }

  async #refuse(conn: RawConn, source: string, reason: string): Promise<void> {
    this.#refused++;
    await this.#failures.refuse(source, reason);
    closeQuietly(conn);
  }

  #forgetSpent(): void {
    const now = Date.now();
    // insertion order is expiry order: stop at the first still live
    for (const [token, until] of this.#spent) {
      if (until > now) break;
      this.#spent.delete(token);
    }
  }

  /** Connection pairs being spliced now. */
  get active(): number {
    return this.#live.size / 2;
  }

  /** Bytes spliced since start, both directions. */
  get bytesRouted(): number {
    return this.#bytes;
  }

  /** Stops listening and drops every parked and spliced connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const parked of this.#parked.values()) {
      clearTimeout(parked.timer);
      closeQuietly(parked.conn);
    }
    this.#parked.clear();
    for (const conn of this.#live) closeQuietly(conn);
    await closed;
  }

  /** {@linkcode SpliceRouter.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function closeQuietly(conn: RawConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}
