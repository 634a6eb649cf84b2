/**
 * What our two ends agree on for the fast path (issue 11 item 3). A client that wants it sends
 * {@linkcode FAST_PATH_REQUEST_KEY} on a RouterService.Stream; only then does our exporter answer
 * with {@linkcode FAST_PATH_OFFER_KEY} in the headers, so upstream peers never see either. The
 * client connects to the offered Unix socket (local mode), TCP port (direct mode: on the host it
 * dialled, TLS when offered so) or, behind a lease socket whose exporter splices, to the relay
 * beside that socket, which takes it to our router's splice port (distributed mode:
 * fast_path_splice.ts); it writes the token and reads one acknowledgement byte. From then on the
 * connection carries the chunks and an end mark (fast_path_frames.ts) and the gRPC call only the
 * ends: a GOAWAY frame once the end mark went out, the call's status or cancellation for errors.
 * A client that cannot use the offer sends a PING frame instead and the exporter answers with a
 * PING once it serves the stream over gRPC frames.
 */
import { z } from "zod";

/** Request metadata key: the client can use the fast path. */
export const FAST_PATH_REQUEST_KEY = "x-jmp-fast-path";
/** Response metadata key: JSON {@linkcode FastPathOfferHeader}. */
export const FAST_PATH_OFFER_KEY = "x-jmp-fast-path-offer";
/** Token length in bytes on the socket (hex text). */
export const FAST_PATH_TOKEN_BYTES = 64;
/** The byte the exporter writes once the token was accepted and the stream is ready. */
export const FAST_PATH_ACK = 1;

/** Where to connect and what to present. */
export interface FastPathOfferHeader {
  /** The fast path's Unix socket, next to the session socket. */
  path?: string | undefined;
  /** The fast path's TCP port, on the host the client dialled for the session. */
  port?: number | undefined;
  /** Whether that port speaks TLS (it does whenever the session's own port does). */
  tls?: boolean | undefined;
  /**
   * The exporter also waits for the client at its router's splice port (distributed mode): a
   * client behind a lease socket presents the token to the `.fast` socket beside that one.
   */
  splice?: boolean | undefined;
  /** The single-use token to write on it (hex text). */
  token: string;
}

const offerSchema: z.ZodType<FastPathOfferHeader> = z.object({
  path: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  tls: z.boolean().optional(),
  splice: z.boolean().optional(),
  token: z.string().length(FAST_PATH_TOKEN_BYTES),
});

/** Parses the offer header; undefined when absent or malformed (the client then falls back). */
export function parseFastPathOffer(text: unknown): FastPathOfferHeader | undefined {
  if (typeof text !== "string") return undefined;
  try {
    const parsed = offerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

let disabledInThisIsolate: boolean | undefined;

/**
 * Overrides `JMP_DISABLE_FAST_PATH` in this isolate only (`undefined`: the variable decides again).
 * Test modules run in parallel in one process, so setting the variable would switch the fast path
 * off under another module's feet; each module has its own copy of this flag.
 */
export function setFastPathDisabled(disabled: boolean | undefined): void {
  disabledInThisIsolate = disabled;
}

/** `JMP_DISABLE_FAST_PATH=1` forces byte streams onto gRPC frames. */
export function fastPathDisabled(): boolean {
  if (disabledInThisIsolate !== undefined) return disabledInThisIsolate;
  try {
    const value = Deno.env.get("JMP_DISABLE_FAST_PATH");
    return value !== undefined && value !== "" && value !== "0";
  } catch {
    return false;
  }
}

/** A frame as the control channel carries it. */
interface ControlFrame {
  frameType: number;
}

/** What {@linkcode nextFrame} needs of a call. */
export interface FrameSource {
  on(event: "data", listener: (frame: ControlFrame) => void): unknown;
  on(event: "end" | "cancelled", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  // deno-lint-ignore no-explicit-any
  off(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/**
 * Waits for the call's next frame and pauses the call after it, so a frame stream attached next
 * loses nothing; rejects when the call ends, fails or is cancelled first. `stop()` withdraws.
 */
export function nextFrame(call: FrameSource): { frame: Promise<ControlFrame>; stop(): void } {
  const { promise, resolve, reject } = Promise.withResolvers<ControlFrame>();
  promise.catch(() => {});
  const stop = () => {
    call.off("data", onData);
    call.off("end", onEnd);
    call.off("cancelled", onEnd);
    call.off("error", onError);
    call.pause();
  };
  const onData = (frame: ControlFrame) => {
    stop();
    resolve(frame);
  };
  const onEnd = () => {
    stop();
    reject(new Error("The stream ended before the fast path was set up"));
  };
  const onError = (error: Error) => {
    stop();
    reject(error);
  };
  call.on("data", onData);
  call.on("end", onEnd);
  call.on("cancelled", onEnd);
  call.on("error", onError);
  call.resume();
  return { frame: promise, stop };
}
