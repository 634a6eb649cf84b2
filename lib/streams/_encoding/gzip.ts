/**
 * gzip: gzip members, or one zlib-wrapped deflate stream (upstream decodes with wbits=47).
 *
 * @module
 */
import zlib from "node:zlib";
import { NODE_CHUNK, nodeTransformChunks, readAtLeast } from "./codec_stream.ts";

/** Decodes gzip members or one zlib-wrapped deflate stream. */
export async function* gzipDecode(reader: ReadableStreamDefaultReader<Uint8Array>) {
  const head = await readAtLeast(reader, 2);
  if (head.length === 0) throw new Error("unexpected end of input (no data)");
  const first = concat(head.chunks, 2);
  const gzip = first.length < 2 || (first[0] === 0x1f && first[1] === 0x8b);
  // A zlib header: deflate (method 8) with a window of at most 32 KiB, and a multiple of 31.
  const zlibHeader = (first[0]! & 0x8f) === 0x08 && ((first[0]! << 8) | first[1]!) % 31 === 0;
  if (!gzip && !zlibHeader) throw new Error("neither gzip nor zlib data (no gzip or zlib header)");
  const stream = gzip
    ? zlib.createGunzip({ chunkSize: NODE_CHUNK })
    : zlib.createInflate({ chunkSize: NODE_CHUNK });
  yield* nodeTransformChunks(stream, reader, head.chunks);
}

/** The first `limit` bytes of `chunks`, joined. */
function concat(chunks: readonly Uint8Array[], limit = Infinity): Uint8Array {
  const length = Math.min(limit, chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= length) break;
    const part = chunk.subarray(0, length - offset);
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}
