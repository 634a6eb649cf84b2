/**
 * The client's side of setting up a fast-path stream: when the exporter offered it and the offered
 * socket sits next to the session socket we are connected to, present the token there; on any
 * failure fall back to gRPC frames, silently.
 */
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
import { socketByteStream } from "./fast_path_stream.ts";

/** How long the exporter may take to acknowledge a presented token. */
const ACK_DEADLINE_MS = 5_000;

/** Options of {@linkcode openPeerStream}. */
export interface PeerStreamOptions extends FrameStreamOptions {
  /** The session's gRPC target (`unix:<path>`); only a Unix target next to the offer qualifies. */
  target: string;
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
  const conn = await presentToken(options.target, offer);
  if (conn) return socketByteStream(conn, call, options);
  const served = options.waitUntilServed ? nextFrame(call) : undefined;
  call.write({ payload: new Uint8Array(), frameType: FrameType.PING });
  await served?.frame;
  return frameByteStream(call, options);
}

function directory(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** Connects to the offered socket and presents the token; undefined when anything fails. */
async function presentToken(
  target: string,
  offer: FastPathOfferHeader,
): Promise<Deno.UnixConn | undefined> {
  if (!target.startsWith("unix:") || directory(target.slice(5)) !== directory(offer.path)) {
    return undefined;
  }
  let conn: Deno.UnixConn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    conn = await Deno.connect({ transport: "unix", path: offer.path });
    const opened = conn;
    timer = setTimeout(() => opened.close(), ACK_DEADLINE_MS);
    const token = new TextEncoder().encode(offer.token);
    for (let offset = 0; offset < token.byteLength;) {
      offset += await conn.write(token.subarray(offset));
    }
    const ack = new Uint8Array(1);
    const n = await conn.read(ack);
    clearTimeout(timer);
    if (n === 1 && ack[0] === FAST_PATH_ACK) return conn;
    conn.close();
    return undefined;
  } catch {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // closed by the deadline
    }
    return undefined;
  }
}
