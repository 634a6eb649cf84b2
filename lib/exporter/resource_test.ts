import assert from "node:assert/strict";
import { z } from "zod";
import {
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { serve } from "@jumpstarter/lib/testing";

const sinkInterface = defineInterface({
  client: "tests.SinkClient",
  methods: {
    store: unary([z.unknown()]),
    replay: unary([z.unknown(), z.number().int().min(0)]),
  },
});

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Stores what a client uploads; replays stored bytes back on request. */
class Sink extends Driver {
  readonly interface = sinkInterface;
  stored = new Uint8Array();
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(sinkInterface, {
      store: async (handle) => {
        await using resource = this.openResource(handle);
        this.stored = new Uint8Array(await new Response(resource.readable).arrayBuffer());
        return { size: this.stored.byteLength, sha256: await sha256(this.stored) };
      },
      replay: async (handle, times) => {
        await using resource = this.openResource(handle);
        const writer = resource.writable.getWriter();
        for (let i = 0; i < times; i++) await writer.write(this.stored);
        await writer.close();
      },
    });
  }
}

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

Deno.test("a resource uploads client bytes to a driver call", async () => {
  const sink = new Sink();
  await using served = await serve(sink);
  const data = crypto.getRandomValues(new Uint8Array(65536));
  const resource = await served.client.resource({ source: streamOf(data, data) });
  assert.equal(resource.handle.kind, "client_stream");
  const result = await served.client.call("store", resource.handle);
  await resource.done;
  const both = new Uint8Array([...data, ...data]);
  assert.deepEqual(result, { size: both.byteLength, sha256: await sha256(both) });
  assert.equal(sink.resources.size, 0);
});

Deno.test("a resource carries driver bytes back to the client", async () => {
  const sink = new Sink();
  sink.stored = new TextEncoder().encode("abc");
  await using served = await serve(sink);
  const received: Uint8Array[] = [];
  const resource = await served.client.resource({
    sink: new WritableStream({ write: (chunk) => void received.push(chunk) }),
  });
  await served.client.call("replay", resource.handle, 3);
  await resource.done;
  assert.equal(
    new TextDecoder().decode(new Uint8Array(received.flatMap((c) => [...c]))),
    "abcabcabc",
  );
});

Deno.test("a gzip-encoded upload reaches the driver decoded", async () => {
  const sink = new Sink();
  await using served = await serve(sink);
  const text = "jumpstarter ".repeat(10000);
  const gz = ReadableStream.from([new TextEncoder().encode(text)]).pipeThrough(
    new CompressionStream("gzip"),
  ) as ReadableStream<Uint8Array>;
  const resource = await served.client.resource({ source: gz, encoding: "gzip" });
  assert.equal(
    resource.handle.kind === "client_stream" && resource.handle.x_jmp_content_encoding,
    "gzip",
  );
  await served.client.call("store", resource.handle);
  await resource.done;
  assert.equal(new TextDecoder().decode(sink.stored), text);
});

Deno.test("an unknown or reused resource handle is refused and the session keeps serving", async () => {
  await using served = await serve(new Sink());
  await assert.rejects(
    served.client.call("store", { kind: "client_stream", uuid: crypto.randomUUID() }),
    (e: Error) => e instanceof InvalidArgumentError && /does not exist/.test(e.message),
  );
  await assert.rejects(served.client.call("store", { kind: "bogus" }), InvalidArgumentError);
  const resource = await served.client.resource({ source: streamOf(new Uint8Array([1])) });
  await served.client.call("store", resource.handle);
  await resource.done;
  await assert.rejects(served.client.call("store", resource.handle), /does not exist/);
});

Deno.test("a client that aborts mid-upload fails the driver call, not the exporter", async () => {
  const sink = new Sink();
  await using served = await serve(sink);
  let push!: ReadableStreamDefaultController<Uint8Array>;
  const source = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
  const resource = await served.client.resource({ source });
  const storing = served.client.call("store", resource.handle);
  push.enqueue(new Uint8Array(1000));
  await new Promise((r) => setTimeout(r, 50));
  push.error(new Error("client crashed"));
  await assert.rejects(storing);
  await assert.rejects(resource.done);
  assert.equal(sink.stored.byteLength, 0);
  const again = await served.client.resource({ source: streamOf(new Uint8Array([7])) });
  assert.deepEqual(await served.client.call("store", again.handle), {
    size: 1,
    sha256: await sha256(new Uint8Array([7])),
  });
});
