/**
 * Client-side image sources: a local path, an `http(s)://` URL fetched by the client, or a stream,
 * with the content encoding worked out from the name or the first bytes (compressed images are
 * sent as they are; the exporter decodes them).
 */
import { fileURLToPath } from "node:url";
import {
  type ContentEncoding,
  detectEncoding,
  encodingFromFileName,
} from "@jumpstarter/lib/streams";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { fileChunks } from "./file_chunks.ts";
import { peek } from "./peek.ts";

/** Where an image comes from. */
export type ImageSourceInput = ReadableStream<Uint8Array> | string | URL;

/** An opened image: its bytes as stored, how they are encoded, and their length if known. */
export interface ImageSource {
  stream: ReadableStream<Uint8Array>;
  encoding: ContentEncoding | null;
  /** Bytes `stream` will yield (the compressed size for a compressed image), when known. */
  total: number | undefined;
  /** A path or URL for messages; `"stream"` for a stream. */
  name: string;
}

/** Options of {@linkcode openImageSource}. */
export interface OpenImageSourceOptions {
  /** Known encoding (`null`: send as is); by default guessed from the name, then the bytes. */
  encoding?: ContentEncoding | null;
  /** Bytes the stream will yield, for a stream source. */
  total?: number;
  signal?: AbortSignal;
}

const MAGIC_BYTES = 8;

/** Whether `source` names an `http://` or `https://` URL. */
export function isHttpUrl(source: string | URL): boolean {
  const text = typeof source === "string" ? source : source.href;
  return /^https?:\/\//i.test(text);
}

function lastSegment(url: URL): string {
  return decodeURIComponent(url.pathname.split("/").pop() ?? "");
}

async function fetchImage(url: URL, signal: AbortSignal | undefined) {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (error) {
    throw new ConnectionError(`Cannot fetch ${url.href}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new ConnectionError(`Cannot fetch ${url.href}: HTTP ${response.status}`);
  }
  // with a Content-Encoding, fetch decodes and the length no longer applies
  const length = response.headers.get("content-length");
  const total = length !== null && !response.headers.has("content-encoding")
    ? Number(length)
    : undefined;
  return { stream: response.body, total, fileName: lastSegment(url) };
}

async function openFile(path: string) {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot open image ${path}: no such file`, { cause: error });
    }
    throw error;
  }
  let info: Deno.FileInfo;
  try {
    info = await file.stat();
  } catch (error) {
    file.close();
    throw error;
  }
  if (!info.isFile) {
    file.close();
    throw new TypeError(`Cannot open image ${path}: not a regular file`);
  }
  return { stream: fileChunks(file), total: info.size, fileName: path };
}

/**
 * Opens an image for upload. The caller owns the returned stream (cancel it if unused).
 *
 * @throws {ConnectionError} when a URL cannot be fetched; `Deno.errors.NotFound` for a missing file.
 */
export async function openImageSource(
  source: ImageSourceInput,
  options: OpenImageSourceOptions = {},
): Promise<ImageSource> {
  let opened: { stream: ReadableStream<Uint8Array>; total: number | undefined; fileName: string };
  let name: string;
  if (source instanceof ReadableStream) {
    opened = { stream: source, total: options.total, fileName: "" };
    name = "stream";
  } else if (isHttpUrl(source)) {
    const url = new URL(source);
    opened = await fetchImage(url, options.signal);
    name = url.href;
  } else {
    const path = source instanceof URL ? fileURLToPath(source) : source;
    opened = await openFile(path);
    name = path;
  }
  if (options.encoding !== undefined) {
    return { stream: opened.stream, encoding: options.encoding, total: opened.total, name };
  }
  const byName = opened.fileName ? encodingFromFileName(opened.fileName) ?? null : null;
  if (byName !== null) {
    return { stream: opened.stream, encoding: byName, total: opened.total, name };
  }
  const peeked = await peek(opened.stream, MAGIC_BYTES);
  return {
    stream: peeked.stream,
    encoding: detectEncoding(peeked.head) ?? null,
    total: opened.total,
    name,
  };
}
