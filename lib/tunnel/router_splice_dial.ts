/**
 * Dialling our router's splice port (the fast path in distributed mode, see
 * lib/streams/fast_path_splice.ts): TCP, or TLS trusted as the tunnel's gRPC channel trusts the
 * router (node:tls, as grpc-js), then the handshake, then the router's word that the other side
 * is there.
 */
import { Buffer } from "node:buffer";
import { once } from "node:events";
import { isIP } from "node:net";
import nodeTls from "node:tls";
import {
  encodeSpliceHello,
  nodeSocketConn,
  type RawConn,
  SPLICE_PAIRED,
  type SpliceSide,
  writeAllTo,
} from "@jumpstarter/lib/streams";
import { fetchCertificateChain, type TlsOptions } from "./tls.ts";

/** How long a splice may take to connect and be paired (the exporter's token lives 10 s). */
const PAIR_DEADLINE_MS = 10_000;

/** A router's splice port as a tunnel end learnt it, with the tunnel's router token. */
export interface SpliceRoute {
  /** The router's gRPC endpoint, `host:port`. */
  endpoint: string;
  /** Its splice port, from the tunnel's response headers. */
  port: number;
  /** The tunnel's router token. */
  routerToken: string;
}

/** How the splice connection is secured: as the router channels are. */
export interface SpliceSecurity {
  plaintext?: boolean;
  tls?: TlsOptions;
  /** The chain pinned for an insecure router, fetched once per endpoint. */
  pinned?: (endpoint: string) => Promise<string>;
}

function hostOf(endpoint: string): string {
  return endpoint.slice(0, endpoint.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
}

async function connectRaw(route: SpliceRoute, security: SpliceSecurity): Promise<RawConn> {
  const host = hostOf(route.endpoint);
  if (security.plaintext) {
    const conn = await Deno.connect({ hostname: host, port: route.port });
    conn.setNoDelay(true);
    return conn;
  }
  const insecure = security.tls?.insecure;
  const ca = insecure
    ? await (security.pinned ?? fetchCertificateChain)(route.endpoint)
    : security.tls?.ca
    ? Buffer.from(atob(security.tls.ca)).toString()
    : undefined;
  const socket = nodeTls.connect({
    host,
    port: route.port,
    // the peer's half-close must not end our side too (node's default), nor error later writes
    ...({ allowHalfOpen: true } as nodeTls.ConnectionOptions),
    ...(ca ? { ca } : {}),
    ...(isIP(host) ? {} : { servername: host }),
    // an insecure router's chain is pinned exactly: the name in it need not match
    ...(insecure ? { checkServerIdentity: () => undefined } : {}),
  });
  socket.setNoDelay(true);
  try {
    await once(socket, "secureConnect");
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return nodeSocketConn(socket);
}

/**
 * Connects to `route`'s splice port as `side` of the stream `streamToken` and waits until the
 * router paired it; undefined when anything fails or takes too long (the caller falls back).
 */
export async function dialSplice(
  route: SpliceRoute,
  security: SpliceSecurity,
  streamToken: string,
  side: SpliceSide,
  signal?: AbortSignal,
): Promise<RawConn | undefined> {
  let conn: RawConn | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn?.close();
  }, PAIR_DEADLINE_MS);
  const abort = () => conn?.close();
  signal?.addEventListener("abort", abort, { once: true });
  try {
    conn = await connectRaw(route, security);
    if (timedOut || signal?.aborted) throw new Error("The splice was given up");
    await writeAllTo(
      conn,
      encodeSpliceHello({ routerToken: route.routerToken, streamToken, side }),
    );
    const paired = new Uint8Array(1);
    if (await conn.read(paired) !== 1 || paired[0] !== SPLICE_PAIRED) {
      throw new Error("The router did not pair the splice");
    }
    return conn;
  } catch {
    try {
      conn?.close();
    } catch {
      // closed already
    }
    return undefined;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  }
}
