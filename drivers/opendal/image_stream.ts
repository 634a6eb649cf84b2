/**
 * The bytes a storage mux writes for a `write(handle)`: the framework decodes what a client
 * streams, but an image the exporter fetches itself (a presigned request) arrives as stored, so
 * its compression is recognised by its magic number and undone here.
 */
import {
  decodeStream,
  detectEncoding,
  parseResourceHandle,
  type ResourceHandle,
} from "@jumpstarter/lib/streams";
import { peek } from "./peek.ts";

// enough for every magic number detectEncoding knows (xz has the longest, 6 bytes)
const MAGIC_BYTES = 8;

/** The decoded image behind `handle`, whose resource yields `readable`. */
export async function imageStream(
  handle: ResourceHandle,
  readable: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  if (parseResourceHandle(handle).kind !== "presigned_request") return readable;
  const peeked = await peek(readable, MAGIC_BYTES);
  const encoding = detectEncoding(peeked.head);
  return encoding === null ? peeked.stream : peeked.stream.pipeThrough(decodeStream(encoding));
}
