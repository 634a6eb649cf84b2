/**
 * Option negotiation for read requests: RFC 2347 (OACK), 2348 (blksize), 2349 (timeout, tsize)
 * and 7440 (windowsize). Options a server does not accept are left out of the OACK, which the
 * client reads as "not supported" and falls back to the RFC 1350 default.
 */

/** RFC 1350 block size, used when no `blksize` was accepted. */
export const DEFAULT_BLOCK_SIZE = 512;
/** RFC 2348 bounds. */
export const MIN_BLOCK_SIZE = 8;
export const MAX_BLOCK_SIZE = 65464;
/** Largest window granted; a client asking for more gets this (RFC 7440 lets servers lower it). */
export const MAX_WINDOW_SIZE = 64;

/** What a transfer runs with after negotiation. */
export interface TransferSettings {
  blockSize: number;
  /** Retransmission timeout. */
  timeoutMs: number;
  /** Blocks sent before waiting for an ACK. */
  windowSize: number;
}

/** The outcome: settings, and the accepted options to send in an OACK (empty: no OACK). */
export interface Negotiation {
  settings: TransferSettings;
  accepted: Map<string, string>;
}

/** What the server knows when it answers a request. */
export interface NegotiationContext {
  /** Transfer mode, lower-cased. */
  mode: string;
  /** Size of the file being read, for `tsize`. */
  size: number;
  /** Retransmission timeout when the client negotiates none. */
  defaultTimeoutMs: number;
}

function integer(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

/** Applies the server's rules to the options of a read request. */
export function negotiate(
  requested: ReadonlyMap<string, string>,
  context: NegotiationContext,
): Negotiation {
  const settings: TransferSettings = {
    blockSize: DEFAULT_BLOCK_SIZE,
    timeoutMs: context.defaultTimeoutMs,
    windowSize: 1,
  };
  const accepted = new Map<string, string>();
  for (const [name, text] of requested) {
    const value = integer(text);
    if (value === undefined) continue;
    switch (name) {
      case "blksize":
        if (value < MIN_BLOCK_SIZE) break;
        settings.blockSize = Math.min(value, MAX_BLOCK_SIZE);
        accepted.set(name, String(settings.blockSize));
        break;
      case "timeout":
        if (value < 1 || value > 255) break;
        settings.timeoutMs = value * 1000;
        accepted.set(name, String(value));
        break;
      case "tsize":
        // the size of a netascii transfer is only known after converting the whole file
        if (context.mode !== "octet") break;
        accepted.set(name, String(context.size));
        break;
      case "windowsize":
        if (value < 1 || value > 65535) break;
        settings.windowSize = Math.min(value, MAX_WINDOW_SIZE);
        accepted.set(name, String(settings.windowSize));
        break;
    }
  }
  return { settings, accepted };
}
