/**
 * The fast path through our router (distributed mode). Both ends connect to the router's splice
 * port and send one handshake, JSON {@linkcode SpliceHello} behind its 4-byte big-endian length: the router token
 * of a tunnel of theirs (the router only splices for holders of a valid one) and the stream's
 * single-use fast-path token, which pairs the two. Once both sides of a token are there, the
 * router writes {@linkcode SPLICE_PAIRED} to each and copies bytes between them unchanged; from
 * then on the connection is the fast path's, exactly as if the client had connected to the
 * exporter's own socket.
 */
import { z } from "zod";
import type { RawConn } from "./fast_path_frames.ts";
import { FAST_PATH_TOKEN_BYTES } from "./fast_path_protocol.ts";

/** Response metadata of our router on a tunnel's `Stream` that asked for the fast path. */
export const SPLICE_PORT_KEY = "x-jmp-splice-port";
/** The byte the router writes to both ends once it paired them. */
export const SPLICE_PAIRED = 1;
/** The longest handshake the router reads. */
export const SPLICE_HELLO_LIMIT = 8192;

/** Which end of the stream a splice connection is. */
export type SpliceSide = "client" | "exporter";

/** The handshake. */
export interface SpliceHello {
  /** A router token of a tunnel of this end (proves it may use the router). */
  routerToken: string;
  /** The fast-path token the exporter issued for the stream. */
  streamToken: string;
  /** Which end sends it: the router pairs a client with an exporter. */
  side: SpliceSide;
}

const helloSchema: z.ZodType<SpliceHello> = z.object({
  routerToken: z.string().min(1).max(4096),
  streamToken: z.string().length(FAST_PATH_TOKEN_BYTES),
  side: z.enum(["client", "exporter"]),
});

/** The handshake's bytes. */
export function encodeSpliceHello(hello: SpliceHello): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(hello));
  const bytes = new Uint8Array(4 + json.byteLength);
  new DataView(bytes.buffer).setUint32(0, json.byteLength);
  bytes.set(json, 4);
  return bytes;
}

/** Parses a handshake's JSON; undefined when malformed. */
export function parseSpliceHello(json: string): SpliceHello | undefined {
  try {
    const parsed = helloSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function readExactly(conn: RawConn, into: Uint8Array): Promise<boolean> {
  for (let filled = 0; filled < into.byteLength;) {
    const n = await conn.read(into.subarray(filled));
    if (n === null) return false;
    filled += n;
  }
  return true;
}

/**
 * Reads the handshake and not a byte more (the stream's bytes follow at once); undefined at EOF,
 * past the limit or when malformed.
 */
export async function readSpliceHello(conn: RawConn): Promise<SpliceHello | undefined> {
  const header = new Uint8Array(4);
  if (!await readExactly(conn, header)) return undefined;
  const length = new DataView(header.buffer).getUint32(0);
  if (length === 0 || length > SPLICE_HELLO_LIMIT) return undefined;
  const json = new Uint8Array(length);
  if (!await readExactly(conn, json)) return undefined;
  return parseSpliceHello(new TextDecoder().decode(json));
}

/** Writes all of `bytes`. */
export async function writeAllTo(conn: RawConn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

const COPY_BUFFER = 256 * 1024;

async function copy(
  from: RawConn,
  to: RawConn,
  copied?: (bytes: number) => void,
): Promise<void> {
  const buffer = new Uint8Array(COPY_BUFFER);
  for (;;) {
    const n = await from.read(buffer);
    if (n === null) break;
    copied?.(n);
    await writeAllTo(to, buffer.subarray(0, n));
  }
  await to.closeWrite();
}

function closeQuietly(conn: RawConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

/**
 * Copies bytes both ways between `a` and `b` until both directions ended (each half-close passed
 * on), then closes both; a failure on either side closes both at once. `copied` hears the size of
 * every chunk passed on (the router's byte count).
 */
export async function spliceConns(
  a: RawConn,
  b: RawConn,
  copied?: (bytes: number) => void,
): Promise<void> {
  try {
    await Promise.all([copy(a, b, copied), copy(b, a, copied)]);
  } catch {
    // one side broke: the other sees its connection drop
  } finally {
    closeQuietly(a);
    closeQuietly(b);
  }
}
