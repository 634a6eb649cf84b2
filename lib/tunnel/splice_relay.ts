/**
 * The client's side of the fast path in distributed mode: our clients behind a lease socket
 * present their fast-path token on `<lease socket>.fast`; this relay (in the process that holds
 * the tunnels and their router tokens) takes it to the router's splice port and, once the router
 * paired it with the exporter's side, copies bytes both ways. The exporter's acknowledgement
 * reaches the client through it. Any failure just closes the client's connection: it falls back.
 */
import {
  FAST_PATH_TOKEN_BYTES,
  fastPathDisabled,
  type RawConn,
  spliceConns,
} from "@jumpstarter/lib/streams";
import type { RouterChannels } from "./router_stream.ts";

/** How long a client may take to present its token. */
const TOKEN_DEADLINE_MS = 5_000;

/** A running relay. */
export interface SpliceRelay {
  readonly path: string;
  close(): Promise<void>;
}

/** Listens at `path`; undefined when the fast path is disabled or the socket cannot be made. */
export function openSpliceRelay(path: string, routers: RouterChannels): SpliceRelay | undefined {
  if (fastPathDisabled()) return undefined;
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch {
    return undefined;
  }
  const live = new Set<RawConn>();
  const accepting = (async () => {
    for await (const conn of listener) {
      live.add(conn);
      relay(conn, routers, live).finally(() => live.delete(conn));
    }
  })().catch(() => {});
  return {
    path,
    close: async () => {
      listener.close();
      await accepting;
      for (const conn of live) closeQuietly(conn);
      await Deno.remove(path).catch(() => {});
    },
  };
}

async function relay(client: Deno.Conn, routers: RouterChannels, live: Set<RawConn>) {
  const token = await readToken(client);
  const router = token === undefined ? undefined : await routers.splice(token, "client");
  if (!router) return closeQuietly(client);
  live.add(router);
  await spliceConns(client, router);
  live.delete(router);
}

async function readToken(conn: Deno.Conn): Promise<string | undefined> {
  const timer = setTimeout(() => closeQuietly(conn), TOKEN_DEADLINE_MS);
  try {
    const token = new Uint8Array(FAST_PATH_TOKEN_BYTES);
    for (let filled = 0; filled < token.byteLength;) {
      const n = await conn.read(token.subarray(filled));
      if (n === null) return undefined;
      filled += n;
    }
    return new TextDecoder().decode(token);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function closeQuietly(conn: RawConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}
