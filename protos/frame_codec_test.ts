import assert from "node:assert/strict";
import fc from "fast-check";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FrameType, StreamRequestSchema, StreamResponseSchema } from "./mod.ts";
import {
  decodeFrame,
  encodeFrame,
  encodeGrpcFrame,
  frameSerializer,
  GRPC_FRAMED_SERIALIZER,
  grpcMessageOf,
} from "./frame_codec.ts";

const frameTypes = fc.constantFrom(
  FrameType.DATA,
  FrameType.GOAWAY,
  FrameType.PING,
  FrameType.RST_STREAM,
);

Deno.test("encodeFrame() produces exactly protobuf-es's bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70000 }), frameTypes, (payload, frameType) => {
      const reference = toBinary(
        StreamRequestSchema,
        create(StreamRequestSchema, { payload, frameType }),
      );
      assert.deepEqual(new Uint8Array(encodeFrame({ payload, frameType })), reference);
    }),
    { numRuns: 200 },
  );
});

Deno.test("decodeFrame() reads protobuf-es output, skipping unknown fields", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), frameTypes, (payload, frameType) => {
      const bytes = toBinary(
        StreamResponseSchema,
        create(StreamResponseSchema, { payload, frameType }),
      );
      const withUnknown = new Uint8Array([...bytes, 0x18, 0x96, 0x01, 0x22, 0x01, 0x41]);
      const decoded = decodeFrame(withUnknown, "jumpstarter.v1.StreamResponse");
      assert.deepEqual([...decoded.payload], [...payload]);
      assert.equal(decoded.frameType, frameType);
      const reference = fromBinary(StreamResponseSchema, bytes);
      assert.deepEqual([...reference.payload], [...decoded.payload]);
    }),
    { numRuns: 200 },
  );
});

Deno.test("decodeFrame() rejects truncated input", () => {
  assert.throws(() => decodeFrame(new Uint8Array([0x0a, 0x05, 1, 2]), "x"), RangeError);
  assert.throws(() => decodeFrame(new Uint8Array([0x10, 0x80]), "x"), RangeError);
});

Deno.test("encodeGrpcFrame() is gRPC's length prefix followed by encodeFrame()'s bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), frameTypes, (payload, frameType) => {
      const plain = new Uint8Array(encodeFrame({ payload, frameType }));
      const framed = new Uint8Array(encodeGrpcFrame({ payload, frameType }));
      const prefix = new Uint8Array(5);
      new DataView(prefix.buffer).setUint32(1, plain.byteLength);
      assert.deepEqual(framed, new Uint8Array([...prefix, ...plain]));
      assert.equal(
        frameSerializer[GRPC_FRAMED_SERIALIZER]?.({ payload, frameType }).byteLength,
        framed.byteLength,
      );
    }),
    { numRuns: 200 },
  );
});

Deno.test("grpcMessageOf() finds the gRPC message around encodeFrame()'s bytes, and only those", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), frameTypes, (payload, frameType) => {
      const bytes = encodeFrame({ payload, frameType });
      const message = grpcMessageOf(bytes);
      assert.ok(message, "encodeFrame() output has its prefix");
      assert.deepEqual(
        new Uint8Array(message),
        new Uint8Array(encodeGrpcFrame({ payload, frameType })),
      );
      assert.equal(message.buffer, bytes.buffer, "no copy");
      assert.equal(grpcMessageOf(new Uint8Array(bytes)), undefined);
    }),
    { numRuns: 100 },
  );
});
