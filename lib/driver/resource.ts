/**
 * Resources on the driver side: byte streams a client hands to a driver call by handle. The
 * session parks each incoming resource stream on its driver; the driver claims it by handle and
 * reads decoded bytes (and writes bytes back, encoded as the client asked).
 */
import {
  type ByteStream,
  type ClientStreamHandle,
  parseResourceHandle,
  type PresignedRequestHandle,
} from "@jumpstarter/lib/streams";
import {
  decodeStream,
  encodeStream,
  isContentEncoding,
  isEncodable,
} from "@jumpstarter/lib/streams";
import { ConnectionError, InvalidArgumentError } from "@jumpstarter/lib/wire";

/** A resource stream waiting for a driver call to claim it. */
export interface PendingResource {
  /** The resource's uuid, chosen by the session and sent to the client in its handle. */
  readonly uuid: string;
  /** Raw bytes to and from the client. */
  readonly stream: ByteStream;
  /** How the client's bytes are encoded (decoded here), or null. */
  readonly encoding: string | null;
  /** Tells the session the driver is done with the stream. */
  settle(): void;
}

/** Resource streams parked on one driver, by resource uuid (single use). */
export class ResourceTable {
  readonly #pending = new Map<string, PendingResource>();

  /** Parks a resource until a call claims it (the session does this when the stream opens). */
  add(resource: PendingResource): void {
    this.#pending.set(resource.uuid, resource);
  }

  /** Removes and returns the resource, if still waiting. */
  take(uuid: string): PendingResource | undefined {
    const resource = this.#pending.get(uuid);
    this.#pending.delete(uuid);
    return resource;
  }

  /** Forgets a resource nobody claimed (its stream ended first). */
  delete(uuid: string): void {
    this.#pending.delete(uuid);
  }

  /** How many resources are waiting. */
  get size(): number {
    return this.#pending.size;
  }
}

/** A claimed resource: decoded bytes from the client, and a sink back to it. */
export interface Resource extends AsyncDisposable {
  /** The client's bytes, decoded if it sent them encoded (e.g. an `.xz` image). */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes back to the client, encoded as it asked when the exporter can. */
  readonly writable: WritableStream<Uint8Array>;
  /** Ends the driver's side: closes what it did not close, and releases the stream. */
  close(): Promise<void>;
}

async function closeQuietly(writable: WritableStream<Uint8Array>): Promise<void> {
  if (writable.locked) return;
  await writable.close().catch(() => {});
}

function fromClientStream(table: ResourceTable, handle: ClientStreamHandle): Resource {
  const pending = table.take(handle.uuid);
  if (!pending) {
    throw new InvalidArgumentError(
      `Resource ${handle.uuid} does not exist on this driver (never opened, already used, or from another session)`,
    );
  }
  const encoding = pending.encoding;
  let readable = pending.stream.readable;
  let writable = pending.stream.writable;
  let encoded: Promise<void> = Promise.resolve();
  if (encoding !== null && isContentEncoding(encoding)) {
    readable = readable.pipeThrough(decodeStream(encoding));
    // downloads are encoded as the client asked, when we can produce that encoding
    if (isEncodable(encoding)) {
      const encoder = encodeStream(encoding);
      encoded = encoder.readable.pipeTo(pending.stream.writable).catch(() => {});
      writable = encoder.writable;
    } else {
      writable = new WritableStream({
        write() {
          throw new RangeError(`Cannot send ${encoding} data back: the exporter cannot encode it`);
        },
        close: () => pending.stream.writable.close(),
      });
    }
  }
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      await closeQuietly(writable);
      await encoded;
      pending.settle();
    })();
  return { readable, writable, close, [Symbol.asyncDispose]: close };
}

function fromPresignedRequest(handle: PresignedRequestHandle): Resource {
  const headers = handle.headers;
  if (handle.method === "GET") {
    const response = fetch(handle.url, { headers }).then((response) => {
      if (!response.ok || !response.body) {
        throw new ConnectionError(`Cannot fetch ${handle.url}: HTTP ${response.status}`);
      }
      return response.body;
    });
    const readable = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          for await (const chunk of await response) controller.enqueue(chunk);
          controller.close();
        } catch (error) {
          controller.error(error);
        }
      },
    });
    const writable = new WritableStream<Uint8Array>({
      write() {
        throw new TypeError(`Cannot write to ${handle.url}: it was presigned for GET`);
      },
    });
    const close = () => readable.cancel().catch(() => {});
    return { readable, writable, close, [Symbol.asyncDispose]: close };
  }
  const body = new TransformStream<Uint8Array, Uint8Array>();
  const upload = fetch(handle.url, { method: "PUT", headers, body: body.readable }).then(
    (response) => {
      if (!response.ok) {
        throw new ConnectionError(`Cannot upload to ${handle.url}: HTTP ${response.status}`);
      }
    },
  );
  upload.catch(() => {});
  const close = async () => {
    await closeQuietly(body.writable);
    await upload;
  };
  const readable = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  return { readable, writable: body.writable, close, [Symbol.asyncDispose]: close };
}

/**
 * Claims the resource a handle names: a `client_stream` parked on this driver, or a presigned URL.
 *
 * @throws {TypeError} for a malformed handle; {InvalidArgumentError} for an unknown resource.
 */
export function openResource(table: ResourceTable, handle: unknown): Resource {
  const parsed = parseResourceHandle(handle);
  return parsed.kind === "client_stream"
    ? fromClientStream(table, parsed)
    : fromPresignedRequest(parsed);
}
