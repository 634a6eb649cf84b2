/**
 * The client's side of setting up a fast-path stream: when the exporter offered it and the offered
 * socket sits next to the session socket we are connected to, or the offered port is on the host
 * we dialled (TLS when the session is), present the token there; on any failure fall back to gRPC
 * frames, silently.
 */
import { once } from "node:events";
import { isIP } from "node:net";
import nodeTls from "node:tls";
import { FrameType } from "@jumpstarter/protos";
import {
  type ByteStream,
  frameByteStream,
  type FrameCall,
  type FrameStreamOptions,
} from "./frame_stream.ts";
import {
  FAST_PATH_ACK,
  type FastPathOfferHeader,
  nextFrame,
  parseFastPathOffer,
} from "./fast_path_protocol.ts";
import type { RawConn } from "./fast_path_frames.ts";
import { nodeSocketConn } from "./fast_path_node_conn.ts";
import { socketByteStream } from "./fast_path_stream.ts";

/** How long the exporter may take to acknowledge a presented token. */
const ACK_DEADLINE_MS = 5_000;

/** The session's TLS, as the client's channel uses it. */
export interface FastPathTls {
  /** PEM of the CA to trust instead of the system roots. */
  ca?: string;
}

/** Options of {@linkcode openPeerStream}. */
export interface PeerStreamOptions extends FrameStreamOptions {
  /** The session's gRPC target: `unix:<path>` (an offered socket next to it qualifies) or `host:port`. */
  target: string;
  /** Set when the session's channel speaks TLS: the fast path then must too. */
  tls?: FastPathTls;
  /** The offer header's value, if the exporter sent one. */
  offer: unknown;
  /** Wait for the exporter to serve the stream before returning (resources: it parks them). */
  waitUntilServed?: boolean;
}

/** Opens the call's byte stream over the fast path when offered and reachable, else over frames. */
export async function openPeerStream(
  call: FrameCall,
  options: PeerStreamOptions,
): Promise<ByteStream> {
  const offer = parseFastPathOffer(options.offer);
  if (!offer) return frameByteStream(call, options);
  const dial = fastPathDialer(options.target, options.tls, offer);
  const conn = dial ? await presentToken(dial, offer.token) : undefined;
  if (conn) return socketByteStream(conn, call, options);
  const served = options.waitUntilServed ? nextFrame(call) : undefined;
  call.write({ payload: new Uint8Array(), frameType: FrameType.PING });
  await served?.frame;
  return frameByteStream(call, options);
}

function directory(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** `host` of `host:port` or `[v6]:port`, without brackets. */
function hostOf(target: string): string {
  const host = target.slice(0, target.lastIndexOf(":"));
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * How to reach the offered fast path from this session's target, or undefined when nothing
 * offered fits: a Unix socket only next to the session socket we use (the lease socket's relay to
 * the router's splice port, when the exporter splices), a TCP port only on the
 * host we dialled and only with TLS when the session has it (never a downgrade).
 */
function fastPathDialer(
  target: string,
  tls: FastPathTls | undefined,
  offer: FastPathOfferHeader,
): (() => Promise<RawConn>) | undefined {
  if (target.startsWith("unix:")) {
    const session = target.slice(5);
    // next to the exporter's session socket, or behind a lease socket whose tunnel splices
    const path = offer.path !== undefined && directory(session) === directory(offer.path)
      ? offer.path
      : offer.splice
      ? `${session}.fast`
      : undefined;
    if (path === undefined) return undefined;
    return () => Deno.connect({ transport: "unix", path });
  }
  const port = offer.port;
  if (port === undefined || Boolean(offer.tls) !== Boolean(tls)) return undefined;
  const hostname = hostOf(target);
  if (!tls) {
    return async () => {
      const conn = await Deno.connect({ hostname, port });
      conn.setNoDelay(true);
      return conn;
    };
  }
  // node:tls, as the gRPC channel: both accept the same certificates; no IP as server name
  const ca = tls.ca;
  return async () => {
    const socket = nodeTls.connect({
      host: hostname,
      port,
      // the peer's half-close must not end our side too (node's default), nor error later writes
      ...({ allowHalfOpen: true } as nodeTls.ConnectionOptions),
      ...(ca ? { ca } : {}),
      ...(isIP(hostname) ? {} : { servername: hostname }),
    });
    socket.setNoDelay(true);
    try {
      await once(socket, "secureConnect");
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return nodeSocketConn(socket);
  };
}

/** Connects, presents the token and waits for the ack; undefined when anything fails or is late. */
async function presentToken(
  dial: () => Promise<RawConn>,
  token: string,
): Promise<RawConn | undefined> {
  const { promise: late, resolve: giveUp } = Promise.withResolvers<undefined>();
  const timer = setTimeout(() => giveUp(undefined), ACK_DEADLINE_MS);
  const connecting = dial();
  const attempt = (async () => {
    const conn = await connecting;
    const bytes = new TextEncoder().encode(token);
    for (let offset = 0; offset < bytes.byteLength;) {
      offset += await conn.write(bytes.subarray(offset));
    }
    const ack = new Uint8Array(1);
    const n = await conn.read(ack);
    return n === 1 && ack[0] === FAST_PATH_ACK ? conn : undefined;
  })().catch(() => undefined);
  const conn = await Promise.race([attempt, late]);
  clearTimeout(timer);
  if (conn) return conn;
  // refused, failed or late: whatever connection was made is closed (a late one when it comes)
  connecting.then(closeQuietly, () => {});
  return undefined;
}

function closeQuietly(conn: RawConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}
