/**
 * Byte-exact tests of the session byte stream (`frameByteStream` on both ends, through a real
 * Session served on a Unix socket): odd chunk sizes and frames split above 1 MiB, half-close,
 * a slow reader held back by backpressure, and an exporter process killed mid-stream.
 */
import assert from "node:assert/strict";
import {
  byteStream,
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";

const testInterface = defineInterface({
  client: "tests.StreamTestClient",
  methods: { echo: byteStream(), count: byteStream(), produce: byteStream() },
});

/** The byte at `offset` of the pattern the tests send and expect. */
function patternByte(offset: number): number {
  return (offset * 31 + (offset >>> 13)) & 0xff;
}

function pattern(offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = patternByte(offset + i);
  return bytes;
}

function firstMismatch(bytes: Uint8Array, offset: number): number {
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== patternByte(offset + i)) return offset + i;
  }
  return -1;
}

const PRODUCE_BYTES = 64 * 1024 * 1024;
const PRODUCE_CHUNK = 64 * 1024;

/**
 * `echo` returns every byte; `count` reads to the end, then answers with the count and 1 MiB of
 * pattern; `produce` sends 64 MiB of pattern, only as fast as it is pulled.
 */
class StreamTestDriver extends Driver {
  readonly interface = testInterface;
  produced = 0;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(testInterface, {
      echo: () => new TransformStream<Uint8Array, Uint8Array>(),
      count: () => {
        let received = 0;
        const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
          transform: (chunk) => void (received += chunk.byteLength),
          flush: (controller) => {
            controller.enqueue(new TextEncoder().encode(`${received}\n`));
            controller.enqueue(pattern(0, 1024 * 1024));
          },
        });
        return { readable, writable };
      },
      produce: () => {
        this.produced = 0;
        const readable = new ReadableStream<Uint8Array>({
          pull: (controller) => {
            if (this.produced >= PRODUCE_BYTES) return controller.close();
            controller.enqueue(pattern(this.produced, PRODUCE_CHUNK));
            this.produced += PRODUCE_CHUNK;
          },
        }, { highWaterMark: 0 });
        return { readable, writable: new WritableStream() };
      },
    });
  }
}

Deno.test("session stream echoes odd-sized and over-1-MiB chunks byte for byte", async () => {
  await using served = await serve(new StreamTestDriver());
  const stream = await served.client.stream("echo");
  const sizes = [1, 7, 65_535, 65_536, 65_537, 1024 * 1024 + 3, 3 * 1024 * 1024 + 17, 100, 5];
  const total = sizes.reduce((sum, n) => sum + n, 0);
  const writing = (async () => {
    const writer = stream.writable.getWriter();
    let offset = 0;
    for (const size of sizes) {
      await writer.write(pattern(offset, size));
      offset += size;
    }
    await writer.close();
  })();
  let received = 0;
  for await (const chunk of stream.readable) {
    assert.equal(firstMismatch(chunk, received), -1, `byte mismatch after ${received} bytes`);
    received += chunk.byteLength;
  }
  await writing;
  assert.equal(received, total);
});

Deno.test("session stream half-close: the reply after the client's end arrives whole", async () => {
  await using served = await serve(new StreamTestDriver());
  const stream = await served.client.stream("count");
  const writer = stream.writable.getWriter();
  const sent = 5 * 1024 * 1024 + 11;
  await writer.write(pattern(0, sent));
  await writer.close();
  const reply = new Uint8Array(await new Response(stream.readable).arrayBuffer());
  const newline = reply.indexOf(10);
  assert.ok(newline > 0, `no count line in a ${reply.byteLength}-byte reply`);
  assert.equal(new TextDecoder().decode(reply.subarray(0, newline)), String(sent));
  const tail = reply.subarray(newline + 1);
  assert.equal(tail.byteLength, 1024 * 1024);
  assert.equal(firstMismatch(tail, 0), -1);
});

Deno.test("session stream slow reader: exact bytes, and the producer is held back", async () => {
  const driver = new StreamTestDriver();
  await using served = await serve(driver);
  const stream = await served.client.stream("produce");
  await stream.writable.close();
  let received = 0;
  let largestLead = 0;
  let reads = 0;
  for await (const chunk of stream.readable) {
    assert.equal(firstMismatch(chunk, received), -1, `byte mismatch after ${received} bytes`);
    received += chunk.byteLength;
    largestLead = Math.max(largestLead, driver.produced - received);
    // a slow reader: yield to the timer queue now and then so the exporter could race ahead
    if (++reads % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.equal(received, PRODUCE_BYTES);
  assert.ok(
    largestLead < PRODUCE_BYTES / 2,
    `the producer ran ${largestLead} bytes ahead of the reader: no backpressure`,
  );
});

const ECHO_CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata:
  namespace: default
  name: killed
endpoint: ""
token: ""
export:
  echo:
    type: jumpstarter_driver_network.driver.EchoNetwork
`;

async function firstLine(readable: ReadableStream<Uint8Array>, timeoutMs: number) {
  const reader = readable.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!text.includes("\n")) {
    const timer = Promise.withResolvers<never>();
    const id = setTimeout(
      () => timer.reject(new Error(`no socket line from the exporter within ${timeoutMs} ms`)),
      Math.max(0, deadline - Date.now()),
    );
    try {
      const { done, value } = await Promise.race([reader.read(), timer.promise]);
      if (done) throw new Error(`the exporter exited before serving; it printed "${text}"`);
      text += value;
    } finally {
      clearTimeout(id);
    }
  }
  reader.releaseLock();
  return text.slice(0, text.indexOf("\n")).trim();
}

Deno.test("session stream fails both directions when the exporter is killed mid-stream", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-killed-" });
  const config = `${dir}/exporter.yaml`;
  await Deno.writeTextFile(config, ECHO_CONFIG);
  const cli = new URL("../../cli/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "run", "--exporter-config", config],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const socket = await firstLine(child.stdout, 60_000);
    using handle = await openExporter(socket, {
      policy: UNSAFE_POLICY,
      registry: clientRegistryOf([]),
    });
    const echo = handle.root.children.get("echo");
    assert.ok(echo, "the exporter has no echo driver");
    const stream = await echo.stream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    await writer.write(pattern(0, 4096));
    let echoed = 0;
    while (echoed < 4096) {
      const { done, value } = await reader.read();
      assert.ok(!done, `the echo ended after ${echoed} bytes`);
      assert.equal(firstMismatch(value, echoed), -1);
      echoed += value.byteLength;
    }
    child.kill("SIGKILL");
    await child.status;
    const outcome = await Promise.race([
      reader.read().then(() => "read resolved", (error) => `read failed: ${error}`),
      new Promise<string>((resolve) => setTimeout(() => resolve("read still pending"), 10_000)),
    ]);
    assert.match(outcome, /^read failed/, `after the kill: ${outcome}`);
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 64; i++) await writer.write(pattern(0, 64 * 1024));
      })(),
      "writes into a dead stream must fail",
    );
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
