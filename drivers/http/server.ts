/**
 * The HTTP side: a `Deno.serve` listener answering GET and HEAD for files under a root, with
 * single byte ranges, and nothing outside the root (what is opened is checked, not the path).
 */
import type { Logger } from "@jumpstarter/lib/driver";
import {
  type ConfinedFile,
  NotRegularFileError,
  openFileIn,
  OutsideRootError,
  UnsafeDirectoryError,
} from "@jumpstarter/lib/fs";
import { contentType } from "./content_type.ts";
import { checkRequestPath } from "./paths.ts";
import { parseRange } from "./range.ts";
import type { FileRoot } from "./root.ts";

const CHUNK = 64 * 1024;

/** A running file server. */
export interface FileServer {
  readonly hostname: string;
  readonly port: number;
  /** Stops listening, cutting off transfers still running. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startFileServer}. */
export interface FileServerOptions {
  root: FileRoot;
  hostname: string;
  port: number;
  logger: Logger;
}

function plain(status: number, text: string, headers: HeadersInit = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** Transfers in flight, each with a way to cut it off. */
type Transfers = Set<(reason: Error) => void>;

/** Reads `length` bytes of `file` from `start`, closing the file at the end or when cut off. */
function fileBody(
  file: ConfinedFile,
  start: number,
  length: number,
  transfers: Transfers,
): ReadableStream<Uint8Array> {
  let position = start;
  let remaining = length;
  let closed = false;
  let cut: (reason: Error) => void = () => {};
  const finish = () => {
    if (closed) return;
    closed = true;
    transfers.delete(cut);
    void file.close();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      cut = (reason) => {
        finish();
        controller.error(reason);
      };
      transfers.add(cut);
    },
    async pull(controller) {
      const buffer = new Uint8Array(Math.min(CHUNK, remaining));
      const read = await file.read(buffer, position);
      if (read === 0) {
        finish();
        controller.error(new Error("the file shrank while it was being sent"));
        return;
      }
      controller.enqueue(buffer.subarray(0, read));
      position += read;
      remaining -= read;
      if (remaining === 0) {
        finish();
        controller.close();
      }
    },
    cancel() {
      finish();
    },
  }, { highWaterMark: 0 });
}

async function openInRoot(
  root: FileRoot,
  segments: string[],
): Promise<Response | ConfinedFile> {
  try {
    return await openFileIn(await root.real(), segments);
  } catch (error) {
    if (
      error instanceof OutsideRootError || error instanceof NotRegularFileError ||
      error instanceof UnsafeDirectoryError
    ) {
      return plain(403, "Forbidden");
    }
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return plain(404, "Not Found");
    }
    if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
      return plain(403, "Forbidden");
    }
    throw error;
  }
}

async function answer(
  request: Request,
  root: FileRoot,
  transfers: Transfers,
): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return plain(405, "Method Not Allowed", { allow: "GET, HEAD" });
  }
  const checked = checkRequestPath(request.url);
  if (!checked.ok) {
    return checked.refusal === "hidden" ? plain(404, "Not Found") : plain(403, "Forbidden");
  }
  const opened = await openInRoot(root, checked.segments);
  if (opened instanceof Response) return opened;
  const file = opened;
  let handedOver = false;
  try {
    const size = file.size;
    const headers = new Headers({
      "accept-ranges": "bytes",
      "content-type": contentType(checked.segments.at(-1)!),
    });
    const modified = file.mtime?.toUTCString();
    if (modified) headers.set("last-modified", modified);
    const ifRange = request.headers.get("if-range");
    const range = ifRange === null || ifRange === modified
      ? parseRange(request.headers.get("range"), size)
      : undefined;
    if (range === "unsatisfiable") {
      return plain(416, "Range Not Satisfiable", { "content-range": `bytes */${size}` });
    }
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : size;
    headers.set("content-length", String(length));
    if (range) headers.set("content-range", `bytes ${range.start}-${range.end}/${size}`);
    const status = range ? 206 : 200;
    if (request.method === "HEAD" || length === 0) return new Response(null, { status, headers });
    handedOver = true;
    return new Response(fileBody(file, start, length, transfers), { status, headers });
  } finally {
    if (!handedOver) await file.close();
  }
}

/**
 * Starts serving `root` on `hostname:port` (port 0 picks a free one).
 *
 * @throws the listener's error (e.g. `AddrInUse`) when the address cannot be bound.
 */
export function startFileServer(options: FileServerOptions): FileServer {
  const { root, logger } = options;
  const transfers: Transfers = new Set();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {},
    onError: (error) => {
      logger.error(`HTTP request failed: ${error instanceof Error ? error.message : error}`);
      return plain(500, "Internal Server Error");
    },
  }, async (request) => {
    const response = await answer(request, root, transfers);
    logger.debug(`${request.method} ${request.url} ${response.status}`);
    return response;
  });
  return {
    hostname: options.hostname,
    port: server.addr.port,
    async stop() {
      const stopping = server.shutdown();
      for (const cut of [...transfers]) cut(new Error("the HTTP server is stopping"));
      await stopping;
    },
  };
}
