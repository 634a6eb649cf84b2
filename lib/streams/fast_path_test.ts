import assert from "node:assert/strict";
import { z } from "zod";
import {
  byteStream,
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { privateSocketPath, serveSession, Session } from "@jumpstarter/lib/exporter";
import {
  driverStreamRequest,
  FAST_PATH_OFFER_KEY,
  FAST_PATH_REQUEST_KEY,
  REQUEST_KEY,
} from "@jumpstarter/lib/streams";

const DEADLINE_MS = 30_000;

const labInterface = defineInterface({
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
class Lab extends Driver {
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

async function withDeadline<T>(what: string, work: Promise<T>): Promise<T> {
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

async function lab() {
  const driver = new Lab();
  const session = new Session(driver);
  await session.open();
  const { path, dir } = await privateSocketPath();
  const server = await serveSession(session, path);
  const handle = await openExporter(path, {
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
  });
  return {
    driver,
    server,
    path,
    handle,
    client: handle.root,
    async [Symbol.asyncDispose]() {
      handle.close();
      await server.close();
      await session.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed + (i >> 12)) & 0xff;
  return bytes;
}

/** Writes `chunks`, half-closes, and returns every byte read back (read as slowly as asked). */
async function roundTrip(
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

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

Deno.test("fast path: a driver stream is byte-exact both ways and ends on half-close", async () => {
  await using fixture = await lab();
  const chunks = [pattern(1, 1), pattern(300_000, 2), pattern(4 * 1024 * 1024 + 7, 3)];
  const stream = await fixture.client.stream("echo");
  const echoed = await withDeadline("the echo", roundTrip(stream, chunks));
  assert.deepEqual(echoed, concat(chunks));
  assert.equal(fixture.server.fastPath?.claims, 1, "the stream did not use the fast path");
});

Deno.test("fast path: a slow reader gets every byte, in order", async () => {
  await using fixture = await lab();
  const chunks = Array.from({ length: 64 }, (_, i) => pattern(256 * 1024, i));
  const stream = await fixture.client.stream("echo");
  const echoed = await withDeadline("the slow reader", roundTrip(stream, chunks, true));
  assert.deepEqual(echoed, concat(chunks));
  assert.equal(fixture.server.fastPath?.claims, 1);
});

Deno.test("fast path: a resource upload and download are byte-exact", async () => {
  await using fixture = await lab();
  const upload = pattern(3 * 1024 * 1024 + 5, 9);
  const sent = await fixture.client.resource({ source: ReadableStream.from([upload]) });
  assert.equal(
    await withDeadline("store", fixture.client.call("store", sent.handle)),
    upload.length,
  );
  await sent.done;
  assert.deepEqual(fixture.driver.stored, upload);
  const received: Uint8Array[] = [];
  const back = await fixture.client.resource({
    sink: new WritableStream({ write: (chunk) => void received.push(chunk.slice()) }),
  });
  await withDeadline("replay", fixture.client.call("replay", back.handle));
  await withDeadline("the download", back.done);
  assert.deepEqual(concat(received), upload);
  assert.equal(fixture.server.fastPath?.claims, 2, "the resources did not use the fast path");
});

Deno.test("fast path: a driver error mid-stream fails the client's readable with it", async () => {
  await using fixture = await lab();
  const stream = await fixture.client.stream("unplug");
  const reader = stream.readable.getReader();
  assert.deepEqual((await reader.read()).value, new Uint8Array([1, 2, 3]));
  await withDeadline("the error", assert.rejects(reader.read(), /device unplugged/));
  assert.equal(fixture.server.fastPath?.claims, 1);
});

/** Opens a driver stream by hand, asking for the fast path, and returns the offer it got. */
async function offerFor(fixture: Awaited<ReturnType<typeof lab>>, method: string) {
  const metadata = fixture.handle.connection.metadata();
  metadata.set(REQUEST_KEY, driverStreamRequest(fixture.client.uuid, method));
  metadata.set(FAST_PATH_REQUEST_KEY, "1");
  const call = fixture.handle.connection.router.stream({ metadata });
  call.on("error", () => {});
  const headers = await withDeadline(
    "the stream headers",
    new Promise<{ get(key: string): unknown[] }>((resolve) => call.once("metadata", resolve)),
  );
  const offer = JSON.parse(String(headers.get(FAST_PATH_OFFER_KEY)[0]));
  return { call, offer: offer as { path: string; token: string } };
}

/** Presents `token` on the fast-path socket; the acknowledgement byte, or null when refused. */
async function present(path: string, token: string): Promise<number | null> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(new TextEncoder().encode(token));
    // a short token is followed by EOF, as from a peer that gave up
    if (token.length < 64) await conn.closeWrite();
    const ack = new Uint8Array(1);
    const n = await withDeadline("the exporter's answer to a token", conn.read(ack));
    return n === null ? null : ack[0]!;
  } finally {
    conn.close();
  }
}

Deno.test("fast path: forged and replayed tokens are refused without touching the driver", async () => {
  await using fixture = await lab();
  const fastSocket = `${fixture.path}.fast`;
  assert.equal(await present(fastSocket, "f".repeat(64)), null, "a forged token was accepted");
  assert.equal(await present(fastSocket, "short"), null, "a short token was accepted");
  assert.equal(fixture.driver.opened, 0);
  const { call, offer } = await offerFor(fixture, "echo");
  assert.equal(offer.path, fastSocket);
  assert.equal(fixture.driver.opened, 1);
  assert.equal(await present(fastSocket, offer.token), 1, "the issued token was refused");
  assert.equal(await present(fastSocket, offer.token), null, "a replayed token was accepted");
  assert.equal(fixture.driver.opened, 1);
  assert.equal(fixture.server.fastPath?.claims, 1);
  call.cancel();
});

Deno.test("fast path: falls back to gRPC frames when the raw socket cannot be reached", async () => {
  await using fixture = await lab();
  await Deno.remove(`${fixture.path}.fast`);
  const chunks = [pattern(1_000_000, 4), pattern(17, 5)];
  const stream = await fixture.client.stream("echo");
  assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
  const sent = await fixture.client.resource({ source: ReadableStream.from(chunks) });
  assert.equal(await withDeadline("store", fixture.client.call("store", sent.handle)), 1_000_017);
  await sent.done;
  assert.equal(fixture.server.fastPath?.claims, 0);
  assert.equal(fixture.server.fastPath?.pending, 0, "a token of a fallen-back stream lingers");
});

Deno.test("fast path: JMP_DISABLE_FAST_PATH=1 keeps streams on gRPC frames", async () => {
  Deno.env.set("JMP_DISABLE_FAST_PATH", "1");
  try {
    await using fixture = await lab();
    assert.equal(fixture.server.fastPath, undefined, "the exporter listens for the fast path");
    const chunks = [pattern(2_000_000, 6)];
    const stream = await fixture.client.stream("echo");
    assert.deepEqual(await withDeadline("the echo", roundTrip(stream, chunks)), concat(chunks));
  } finally {
    Deno.env.delete("JMP_DISABLE_FAST_PATH");
  }
});

Deno.test("fast path: a client killed mid-stream aborts the driver's side", async () => {
  await using fixture = await lab();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `
      import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
      const handle = await openExporter(${JSON.stringify(fixture.path)}, {
        policy: UNSAFE_POLICY, registry: clientRegistryOf([]),
      });
      const stream = await handle.root.stream("hold");
      const writer = stream.writable.getWriter();
      for (;;) await writer.write(new Uint8Array(65536));
    `,
    ],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    await withDeadline("the child's first bytes", fixture.driver.firstBytes.promise);
    assert.equal(fixture.server.fastPath?.claims, 1);
  } finally {
    child.kill("SIGKILL");
    await child.output();
  }
  assert.equal(
    await withDeadline("the driver to see the end", fixture.driver.holdEnded.promise),
    "aborted",
  );
});

Deno.test("fast path: every chunk arrives as the chunk that was written", async () => {
  await using fixture = await lab();
  const sizes = [1, 3, 65536, 7, 300_000, 2];
  const stream = await fixture.client.stream("echo");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  for (const [i, size] of sizes.entries()) {
    await writer.write(pattern(size, i));
    const { value } = await withDeadline(`chunk ${i}`, reader.read());
    assert.deepEqual(value, pattern(size, i));
  }
  await writer.close();
  assert.equal((await withDeadline("the end", reader.read())).done, true);
  assert.equal(fixture.server.fastPath?.claims, 1);
});

Deno.test("fast path: an exporter killed mid-stream fails the client's readable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-fast-path-" });
  const path = `${dir}/socket`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `
      import { byteStream, defineInterface, Driver, exportMethods } from "@jumpstarter/lib/driver";
      import { serveSession, Session } from "@jumpstarter/lib/exporter";
      const flood = defineInterface({ client: "tests.Flood", methods: { flood: byteStream() } });
      class Flood extends Driver {
        interface = flood;
        exportedMethods() {
          return exportMethods(flood, {
            flood: () => ({
              readable: new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(65536)) }),
              writable: new WritableStream(),
            }),
          });
        }
      }
      const session = new Session(new Flood());
      await session.open();
      const server = await serveSession(session, ${JSON.stringify(path)});
      console.log(server.fastPath ? "ready fast" : "ready slow");
    `,
    ],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const line = await withDeadline(
      "the exporter to start",
      child.stdout.pipeThrough(new TextDecoderStream()).getReader().read(),
    );
    assert.equal(line.value?.trim(), "ready fast");
    using handle = await openExporter(path, {
      policy: UNSAFE_POLICY,
      registry: clientRegistryOf([]),
    });
    const stream = await handle.root.stream("flood");
    const reader = stream.readable.getReader();
    let received = 0;
    while (received < 4 * 1024 * 1024) {
      const { value } = await withDeadline("flood bytes", reader.read());
      received += value!.byteLength;
    }
    child.kill("SIGKILL");
    await withDeadline(
      "the readable to fail",
      (async () => {
        for (;;) {
          const { done } = await reader.read();
          if (done) throw new Error("the readable ended cleanly after the exporter was killed");
        }
      })().then(() => assert.fail("unreachable"), (error: Error) => {
        assert.doesNotMatch(error.message, /ended cleanly/);
      }),
    );
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already killed
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
