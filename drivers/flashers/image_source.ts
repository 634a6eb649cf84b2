/**
 * The client's side of the image: opening a local file or fetching an http(s) URL to upload it
 * to the exporter, the curl arguments the DUT uses to fetch it, and a copy of the console for
 * `--console-debug`.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { baseName } from "./manifest.ts";

/** What reaching the image takes. */
export interface ImageAccess {
  headers?: Record<string, string>;
  bearerToken?: string | null;
  signal?: AbortSignal;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

function headersOf(access: ImageAccess): Record<string, string> {
  const headers = { ...access.headers };
  if (access.bearerToken) headers["Authorization"] = `Bearer ${access.bearerToken}`;
  return headers;
}

/** The image's bytes and the name it is served under (its last path segment, no query). */
export async function openImage(
  path: string,
  access: ImageAccess,
): Promise<{ name: string; source: ReadableStream<Uint8Array> }> {
  const name = baseName(path.replace(/[?#].*$/, ""));
  if (/^https?:\/\//.test(path)) {
    const response = await fetch(path, {
      headers: headersOf(access),
      ...(access.signal ? { signal: access.signal } : {}),
    });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new DriverError(`Cannot fetch ${path}: HTTP ${response.status}`);
    }
    return { name, source: response.body };
  }
  try {
    return { name, source: (await Deno.open(path)).readable };
  } catch (error) {
    throw new InvalidArgumentError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The DUT's curl options: TLS (`-k` or `--cacert F`) and headers, shell-quoted. */
export function curlArguments(tls: string, access: ImageAccess): string {
  const headers = Object.entries(headersOf(access)).map(([key, value]) =>
    `-H ${shellQuote(`${key}: ${value}`)}`
  );
  return [tls, ...headers].filter(Boolean).join(" ");
}

/** Copies what the console prints to `sink` while `stream` is read. */
export function tee(stream: ByteStream, sink: WritableStream<Uint8Array> | undefined): ByteStream {
  if (!sink) return stream;
  const [mine, copy] = stream.readable.tee();
  copy.pipeTo(sink, { preventClose: true }).catch(() => {});
  return { readable: mine, writable: stream.writable };
}
