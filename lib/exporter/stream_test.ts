import assert from "node:assert/strict";
import {
  byteStream,
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { MethodNotFoundError } from "@jumpstarter/lib/wire";
import { serve } from "@jumpstarter/lib/testing";

const echoInterface = defineInterface({
  client: "tests.EchoClient",
  methods: { connect: byteStream(), broken: byteStream() },
});

/** Echoes every byte back, upper-casing ASCII letters, until the client ends its side. */
class Echo extends Driver {
  readonly interface = echoInterface;
  opened = 0;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(echoInterface, {
      connect: () => {
        this.opened++;
        const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
          transform: (chunk, controller) =>
            controller.enqueue(chunk.map((b) => (b >= 97 && b <= 122 ? b - 32 : b))),
        });
        return { readable, writable };
      },
      broken: () => {
        throw new Error("device unplugged");
      },
    });
  }
}

async function collect(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(readable).arrayBuffer());
}

Deno.test("DriverClient.stream() carries bytes both ways and ends on GOAWAY", async () => {
  const echo = new Echo();
  await using served = await serve(echo);
  const stream = await served.client.stream("connect");
  const writer = stream.writable.getWriter();
  const reading = collect(stream.readable);
  await writer.write(new TextEncoder().encode("hello "));
  await writer.write(new TextEncoder().encode("board"));
  await writer.close();
  assert.equal(new TextDecoder().decode(await reading), "HELLO BOARD");
  assert.equal(echo.opened, 1);
});

Deno.test("DriverClient.stream() moves 32 MiB intact with backpressure", async () => {
  await using served = await serve(new Echo());
  const stream = await served.client.stream();
  const chunk = new Uint8Array(256 * 1024).fill(0x30);
  const total = 128;
  const writing = (async () => {
    const writer = stream.writable.getWriter();
    for (let i = 0; i < total; i++) await writer.write(chunk);
    await writer.close();
  })();
  let received = 0;
  for await (const part of stream.readable) {
    assert.ok(part.every((b) => b === 0x30));
    received += part.byteLength;
  }
  await writing;
  assert.equal(received, chunk.byteLength * total);
});

Deno.test("DriverClient.stream() refuses unknown methods, kinds and failing drivers", async () => {
  const echo = new Echo();
  await using served = await serve(echo);
  await assert.rejects(served.client.stream("nope"), MethodNotFoundError);
  await assert.rejects(served.client.call("connect"), /not a DriverCall method/);
  await assert.rejects(served.client.stream("broken"), /device unplugged/);
  const again = await served.client.stream("connect");
  await again.writable.close();
  assert.equal((await collect(again.readable)).byteLength, 0);
});

Deno.test("Session survives a client that drops a stream midway", async () => {
  const echo = new Echo();
  await using served = await serve(echo);
  const stream = await served.client.stream();
  const writer = stream.writable.getWriter();
  await writer.write(new Uint8Array([97]));
  await writer.abort(new Error("client went away"));
  await stream.readable.cancel().catch(() => {});
  const next = await served.client.stream();
  const w = next.writable.getWriter();
  await w.write(new Uint8Array([98]));
  await w.close();
  assert.deepEqual([...await collect(next.readable)], [66]);
});
