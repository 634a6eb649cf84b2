/**
 * The exporter's side of setting up a fast-path stream: issue the offer when the caller asked
 * for it, then serve the stream over whichever transport the caller ends up using.
 */
import { FrameType } from "@jumpstarter/protos";
import { type ByteStream, frameByteStream, type FrameCall } from "./frame_stream.ts";
import type { FastPathListener, FastPathOffer } from "./fast_path_listener.ts";
import { FAST_PATH_ACK, type FastPathOfferHeader, nextFrame } from "./fast_path_protocol.ts";
import { socketByteStream } from "./fast_path_stream.ts";

/** An offer and its header text. */
export interface IssuedOffer {
  /** The token and its claim. */
  readonly offer: FastPathOffer;
  /** The value of the offer header. */
  readonly header: string;
}

/** Issues an offer when the caller asked (`requested` is its request header) and we listen. */
export function issueFastPathOffer(
  listener: FastPathListener | undefined,
  requested: unknown,
): IssuedOffer | undefined {
  if (!listener || requested === undefined) return undefined;
  const offer = listener.offer();
  const header: FastPathOfferHeader = {
    ...(listener.path === undefined ? {} : { path: listener.path }),
    ...(listener.port === undefined ? {} : { port: listener.port, tls: listener.tls }),
    ...(listener.splices ? { splice: true } : {}),
    token: offer.token,
  };
  return { offer, header: JSON.stringify(header) };
}

/** The caller's stream, and how to tell the caller it is ready (parked, say). */
export interface AcceptedStream {
  /** The caller's bytes, over the socket or over frames. */
  readonly stream: ByteStream;
  /** Tells the caller the exporter serves the stream (the fast path's ack, or a PING frame). */
  acknowledge(): Promise<void>;
}

/**
 * Once the headers went out: waits for the caller to present the token on the socket or to fall
 * back (its PING frame), and returns the stream over the transport it chose.
 */
export async function acceptPeerStream(
  call: FrameCall,
  issued: IssuedOffer | undefined,
): Promise<AcceptedStream> {
  if (!issued) {
    return { stream: frameByteStream(call), acknowledge: () => Promise.resolve() };
  }
  const waiting = nextFrame(call);
  const chosen = await Promise.race([
    issued.offer.claimed.then((conn) => conn ?? "expired" as const),
    waiting.frame.then(() => "fallback" as const),
  ]).finally(() => {
    waiting.stop();
    issued.offer.revoke();
  });
  if (chosen === "expired") {
    throw new Error("The fast-path token expired before the caller used it");
  }
  if (chosen !== "fallback") {
    const conn = chosen;
    return {
      stream: socketByteStream(conn, call),
      acknowledge: async () => {
        await conn.write(new Uint8Array([FAST_PATH_ACK]));
      },
    };
  }
  return {
    stream: frameByteStream(call),
    acknowledge: () => {
      call.write({ payload: new Uint8Array(), frameType: FrameType.PING });
      return Promise.resolve();
    },
  };
}
