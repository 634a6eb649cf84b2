/**
 * An HTTP/1.x GET sent over a raw byte stream (a driver's `connect`), and its response read
 * back: status, headers, and the body with chunked transfer coding undone (some cameras' HTTP
 * servers chunk their MJPEG, which would otherwise leak chunk-size lines into the parts).
 */
import type { ByteStream } from "@jumpstarter/lib/streams";
import { ascii, ByteReader } from "./byte_reader.ts";

const MAX_HEAD_BYTES = 16 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const CRLF = ascii("\r\n");
const HEAD_END = ascii("\r\n\r\n");

/** A response read off a byte stream. */
export interface StreamedResponse {
  /** The status code, e.g. 200. */
  status: number;
  /** The response headers. */
  headers: Headers;
  /** The body, de-chunked; cancelling it drops the connection. */
  body: ReadableStream<Uint8Array>;
}

function parseHead(head: string, source: string): { status: number; headers: Headers } {
  const [statusLine = "", ...lines] = head.split("\r\n");
  const match = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
  if (match === null) {
    throw new Error(`${source} answered with an invalid status line "${statusLine.slice(0, 80)}"`);
  }
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), headers };
}

function plainBody(reader: ByteReader): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      const chunk = await reader.readChunk();
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

function chunkedBody(reader: ByteReader, source: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      const sizeLine = new TextDecoder().decode(
        await reader.readUntil(CRLF, 1024, `a chunk size line from ${source}`),
      );
      const size = parseInt(sizeLine.split(";")[0]!.trim(), 16);
      if (Number.isNaN(size)) throw new Error(`${source} sent an invalid chunk size "${sizeLine}"`);
      if (size > MAX_CHUNK_BYTES) throw new Error(`${source} sent a chunk of ${size} bytes`);
      if (size === 0) {
        controller.close();
        await reader.cancel();
        return;
      }
      const data = await reader.readExactly(size + 2, `a chunk from ${source}`);
      controller.enqueue(data.subarray(0, size));
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * Sends `GET path` on `stream` and reads the response head.
 *
 * @throws {Error} naming `source` when the head is invalid, too large or cut short.
 */
export async function getOverStream(
  stream: ByteStream,
  path: string,
  source: string,
): Promise<StreamedResponse> {
  const writer = stream.writable.getWriter();
  await writer.write(ascii(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
  writer.releaseLock();
  const reader = new ByteReader(stream.readable);
  try {
    const head = await reader.readUntil(HEAD_END, MAX_HEAD_BYTES, `the response head of ${source}`);
    const { status, headers } = parseHead(new TextDecoder().decode(head), source);
    const chunked = /\bchunked\b/i.test(headers.get("transfer-encoding") ?? "");
    return { status, headers, body: chunked ? chunkedBody(reader, source) : plainBody(reader) };
  } catch (error) {
    await reader.cancel(error);
    throw error;
  }
}
