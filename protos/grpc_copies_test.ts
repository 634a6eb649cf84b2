import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { StreamDecoder } from "@grpc/grpc-js/build/src/stream-decoder.js";
import * as grpc from "@grpc/grpc-js";
import { installGrpcCopyCuts } from "./grpc_copies.ts";
import { frameSerializer, GRPC_FRAMED_SERIALIZER } from "./frame_codec.ts";
import { createClient, implement, serviceDefinition } from "./grpc.ts";
import { createServer } from "./http2_settings.ts";
import { create } from "@bufbuild/protobuf";
import { RouterService, StreamRequestSchema } from "./mod.ts";

installGrpcCopyCuts();

function framed(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.byteLength);
  out.writeUInt32BE(payload.byteLength, 1);
  out.set(payload, 5);
  return out;
}

Deno.test("the decoder returns every message byte for byte, however the bytes are split", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 12 }),
      fc.array(fc.nat(4000), { maxLength: 20 }),
      (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map(framed));
        const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) =>
          a - b
        );
        const decoder = new StreamDecoder(-1);
        const messages: Buffer[] = [];
        let from = 0;
        for (const to of [...points, wire.length]) {
          // every chunk is a buffer of its own, as HTTP/2 delivers them
          messages.push(...decoder.write(Buffer.from(wire.subarray(from, to))));
          from = to;
        }
        assert.deepEqual(messages.map((m) => [...m.subarray(5)]), payloads.map((p) => [...p]));
        for (const message of messages) assert.ok(Buffer.isBuffer(message));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("whole messages inside one chunk come back as views of it, not copies", () => {
  const chunk = Buffer.concat([framed(new Uint8Array([1, 2, 3])), framed(new Uint8Array(70_000))]);
  const messages = new StreamDecoder(-1).write(chunk);
  assert.equal(messages.length, 2);
  for (const message of messages) assert.equal(message.buffer, chunk.buffer);
});

Deno.test("a message over the size limit is still refused", () => {
  const decoder = new StreamDecoder(10);
  assert.throws(() => decoder.write(framed(new Uint8Array(11))), /larger than max/);
  assert.deepEqual([...new StreamDecoder(10).write(framed(new Uint8Array(10)))[0]!].length, 15);
});

Deno.test("a server from createServer() echoes frames byte for byte through the framed serializer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-copies-" });
  const server = createServer();
  server.addService(
    serviceDefinition(RouterService),
    implement(RouterService, {
      stream: (call) =>
        new Promise<void>((resolve) => {
          call.on("data", (frame) => call.write(frame));
          call.on("end", () => {
            call.end();
            resolve();
          });
        }),
    }, { toStatus: () => ({ code: grpc.status.INTERNAL, details: "unexpected" }) }),
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(
      `unix:${dir}/grpc.sock`,
      grpc.ServerCredentials.createInsecure(),
      (error) => error ? reject(error) : resolve(),
    )
  );
  const framedEncode = frameSerializer[GRPC_FRAMED_SERIALIZER]!;
  let framedCalls = 0;
  frameSerializer[GRPC_FRAMED_SERIALIZER] = (value) => {
    framedCalls++;
    return framedEncode(value);
  };
  const channel = new grpc.Client(`unix:${dir}/grpc.sock`, grpc.credentials.createInsecure());
  try {
    const call = createClient(RouterService, channel).stream();
    const sizes = [1, 100, 65_536, 70_001, 1024 * 1024];
    const sent = sizes.map((size) => Uint8Array.from({ length: size }, (_, i) => (i * 7) % 251));
    const received: Uint8Array[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on("data", (frame: { payload: Uint8Array }) => received.push(frame.payload));
      call.on("end", resolve);
      call.on("error", reject);
    });
    for (const payload of sent) call.write(create(StreamRequestSchema, { payload }));
    call.end();
    await deadline(ended, 20_000, "the echoed frames and the end of the call");
    assert.deepEqual(received.map((p) => [...p]), sent.map((p) => [...p]));
    assert.equal(framedCalls, sent.length, "every echoed frame went through the framed serializer");
  } finally {
    frameSerializer[GRPC_FRAMED_SERIALIZER] = framedEncode;
    channel.close();
    server.forceShutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

async function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
