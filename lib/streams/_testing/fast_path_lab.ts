/**
 * The fast-path tests' lab: a driver with byte streams and resources, served by a real Session in
 * local mode (Unix socket), direct mode over plaintext TCP, or direct mode over TLS (our TLS front
 * and the fast path's own TLS port), and opened by our client; and the helpers that move and check
 * bytes with a deadline, and the fast-path offer of a stream opened by hand.
 */
import { z } from "zod";
import selfsigned from "selfsigned";
import {
  byteStream,
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import {
  clientRegistryOf,
  type ExporterHandle,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import {
  privateSocketPath,
  serveSession,
  serveSessionTcp,
  Session,
  type SessionServer,
} from "@jumpstarter/lib/exporter";
import { serveTlsFront, type TlsFront } from "@jumpstarter/lib/tunnel";
import {
  driverStreamRequest,
  FAST_PATH_OFFER_KEY,
  FAST_PATH_REQUEST_KEY,
  type FastPathOfferHeader,
  REQUEST_KEY,
} from "@jumpstarter/lib/streams";

const DEADLINE_MS = 30_000;

export const labInterface = defineInterface({
  client: "tests.FastPathClient",
  methods: {
    echo: byteStream(),
    hold: byteStream(),
    unplug: byteStream(),
    store: unary([z.unknown()]),
    replay: unary([z.unknown()]),
  },
});

/** `echo` returns every byte; `hold` records what it got and how its writable ended. */
export class LabDriver extends Driver {
  readonly interface = labInterface;
  opened = 0;
  received = 0;
  readonly firstBytes = Promise.withResolvers<void>();
  readonly holdEnded = Promise.withResolvers<"closed" | "aborted">();
  stored = new Uint8Array();
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(labInterface, {
      echo: () => {
        this.opened++;
        return new TransformStream<Uint8Array, Uint8Array>();
      },
      hold: () => {
        this.opened++;
        const writable = new WritableStream<Uint8Array>({
          write: (chunk) => {
            this.received += chunk.byteLength;
            this.firstBytes.resolve();
          },
          close: () => this.holdEnded.resolve("closed"),
          abort: () => this.holdEnded.resolve("aborted"),
        });
        return { readable: new ReadableStream<Uint8Array>(), writable };
      },
      unplug: () => {
        this.opened++;
        const readable = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array([1, 2, 3]));
          },
          pull(controller) {
            controller.error(new Error("device unplugged"));
          },
        });
        return { readable, writable: new WritableStream() };
      },
      store: async (handle) => {
        await using resource = this.openResource(handle);
        this.stored = new Uint8Array(await new Response(resource.readable).arrayBuffer());
        return this.stored.byteLength;
      },
      replay: async (handle) => {
        await using resource = this.openResource(handle);
        await ReadableStream.from([this.stored]).pipeTo(resource.writable);
      },
    });
  }
}

/** Resolves with `work`, or fails naming `what` after the deadline. */
export async function withDeadline<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How the lab is served and reached. */
export type LabMode = "local" | "tcp" | "tls";

/** A certificate both node:tls and Deno accept for `localhost` (self-signed, a CA as `jmp`'s). */
export async function localhostIdentity(): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Options of {@linkcode lab}. */
export interface LabOptions {
  /** TLS mode: the fast path's port gets this identity instead of the front's. */
  fastPathIdentity?: { cert: string; key: string };
  /** Reach the session through this address instead (a relay to `server.address`). */
  relay?: (address: string) => Promise<{ address: string; close(): void }>;
}

/** A served lab and our client on it. */
export interface Lab {
  driver: LabDriver;
  server: SessionServer;
  /** The session's Unix socket (local and TLS modes). */
  path: string;
  /** What the client dialled. */
  host: string;
  handle: ExporterHandle;
  client: ExporterHandle["root"];
  [Symbol.asyncDispose](): Promise<void>;
}

/** Serves a {@linkcode LabDriver} in `mode` and opens our client on it. */
export async function lab(mode: LabMode = "local", options: LabOptions = {}): Promise<Lab> {
  const driver = new LabDriver();
  const session = new Session(driver);
  await session.open();
  const { path, dir } = await privateSocketPath();
  let server: SessionServer;
  let front: TlsFront | undefined;
  let host: string;
  let ca: string | undefined;
  if (mode === "tcp") {
    server = await serveSessionTcp(session, "127.0.0.1:0");
    host = server.address;
  } else if (mode === "tls") {
    const identity = await localhostIdentity();
    ca = identity.cert;
    const fastPathTls = { hostname: "127.0.0.1", ...(options.fastPathIdentity ?? identity) };
    server = await serveSession(session, path, { fastPathTls });
    front = await serveTlsFront({ hostname: "127.0.0.1", port: 0, ...identity, target: path });
    host = `localhost:${front.port}`;
  } else {
    server = await serveSession(session, path);
    host = path;
  }
  const relay = options.relay ? await options.relay(host) : undefined;
  const handle = await openExporter(relay?.address ?? host, {
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
    ...(mode === "tcp" ? { insecure: true } : {}),
    ...(ca ? { ca } : {}),
  });
  return {
    driver,
    server,
    path,
    host: relay?.address ?? host,
    handle,
    client: handle.root,
    async [Symbol.asyncDispose]() {
      handle.close();
      relay?.close();
      await front?.close();
      await server.close();
      await session.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Deterministic bytes. */
export function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed + (i >> 12)) & 0xff;
  return bytes;
}

/** Writes `chunks`, half-closes, and returns every byte read back (read as slowly as asked). */
export async function roundTrip(
  stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
  chunks: Uint8Array[],
  slowReader = false,
): Promise<Uint8Array> {
  const writing = (async () => {
    const writer = stream.writable.getWriter();
    for (const chunk of chunks) await writer.write(chunk);
    await writer.close();
  })();
  const parts: Uint8Array[] = [];
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    // a slow reader yields to the event loop after every chunk, so the writer runs far ahead
    if (slowReader) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await writing;
  return concat(parts);
}

/** The chunks end to end. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Opens a driver stream by hand, asking for the fast path; the call and the offer it got. */
export async function offerFor(
  fixture: { handle: ExporterHandle; client: ExporterHandle["root"] },
  method: string,
): Promise<
  { call: ReturnType<ExporterHandle["connection"]["router"]["stream"]>; offer: FastPathOfferHeader }
> {
  const metadata = fixture.handle.connection.metadata();
  metadata.set(REQUEST_KEY, driverStreamRequest(fixture.client.uuid, method));
  metadata.set(FAST_PATH_REQUEST_KEY, "1");
  const call = fixture.handle.connection.router.stream({ metadata });
  call.on("error", () => {});
  const headers = await withDeadline(
    "the stream headers",
    new Promise<{ get(key: string): unknown[] }>((resolve) => call.once("metadata", resolve)),
  );
  const offer = JSON.parse(String(headers.get(FAST_PATH_OFFER_KEY)[0])) as FastPathOfferHeader;
  return { call, offer };
}
