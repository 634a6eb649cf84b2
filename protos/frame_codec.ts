/**
 * A hand-written codec for `jumpstarter.v1.StreamRequest`/`StreamResponse` (field 1 `bytes
 * payload`, field 2 enum `frame_type`): byte streams send one of these per chunk, and skipping
 * reflection-based encoding keeps bulk transfers cheap. Wire output is what protobuf produces.
 */
import { Buffer } from "node:buffer";
import type { FrameType } from "./gen/jumpstarter/v1/router_pb.ts";

/** The shape both frame messages share. */
export interface FrameMessage {
  payload: Uint8Array<ArrayBufferLike>;
  frameType: FrameType;
}

/**
 * Marks a response serializer that writes gRPC's 5-byte length prefix itself: our servers send
 * its output as is instead of copying it into a new buffer behind the prefix (grpc-js does that
 * for every message: a second copy of every byte-stream chunk). See `createServer`.
 */
export const GRPC_FRAMED_SERIALIZER: unique symbol = Symbol.for("jumpstarter.grpcFramedSerializer");

/** A serializer that may carry a {@linkcode GRPC_FRAMED_SERIALIZER} twin. */
export type FramedSerializer = ((value: unknown) => Buffer) & {
  [GRPC_FRAMED_SERIALIZER]?: (value: unknown) => Buffer;
};

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

/** Bytes of gRPC's length prefix (a compressed flag and a 32-bit big-endian length). */
export const GRPC_PREFIX_BYTES = 5;

const prefixed = new WeakSet<Uint8Array>();

/**
 * Encodes a frame as protobuf binary (proto3: default values are omitted). The bytes are a view
 * with gRPC's length prefix already in front of them: {@linkcode grpcMessageOf} gets the whole
 * gRPC message back without a copy.
 */
export function encodeFrame(frame: FrameMessage): Buffer {
  const message = encodeGrpcFrame(frame).subarray(GRPC_PREFIX_BYTES);
  prefixed.add(message);
  return message;
}

/** The uncompressed gRPC message around bytes from {@linkcode encodeFrame}; else `undefined`. */
export function grpcMessageOf(bytes: Uint8Array): Buffer | undefined {
  if (!prefixed.has(bytes)) return undefined;
  return Buffer.from(
    bytes.buffer,
    bytes.byteOffset - GRPC_PREFIX_BYTES,
    bytes.byteLength + GRPC_PREFIX_BYTES,
  );
}

/**
 * Encodes a frame as one uncompressed gRPC message: the length prefix, then the protobuf bytes.
 * A server sends it as is, so the payload is copied once instead of twice.
 */
export function encodeGrpcFrame(frame: FrameMessage): Buffer {
  const length = frame.payload.byteLength;
  const type = frame.frameType;
  const size = (length > 0 ? 1 + varintSize(length) + length : 0) +
    (type !== 0 ? 1 + varintSize(type) : 0);
  const out = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + size);
  let offset = GRPC_PREFIX_BYTES;
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  if (length > 0) {
    out[offset++] = 0x0a;
    offset = writeVarint(out, offset, length);
    out.set(frame.payload, offset);
    offset += length;
  }
  if (type !== 0) {
    out[offset++] = 0x10;
    writeVarint(out, offset, type);
  }
  return out;
}

function readVarint(bytes: Uint8Array, cursor: { offset: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor.offset >= bytes.byteLength) throw new RangeError("Truncated varint in frame");
    const byte = bytes[cursor.offset++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  throw new RangeError("Varint too long in frame");
}

/**
 * Decodes a frame; the payload is a view into `bytes` (no copy). Unknown fields are skipped.
 *
 * @throws {RangeError} for malformed input.
 */
export function decodeFrame<T extends string>(bytes: Uint8Array, typeName: T): FrameMessage & {
  $typeName: T;
} {
  let payload: Uint8Array = new Uint8Array();
  let frameType = 0;
  const cursor = { offset: 0 };
  while (cursor.offset < bytes.byteLength) {
    const tag = readVarint(bytes, cursor);
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 2) {
      const length = readVarint(bytes, cursor);
      const end = cursor.offset + length;
      if (end > bytes.byteLength) throw new RangeError("Truncated field in frame");
      if (field === 1) payload = bytes.subarray(cursor.offset, end);
      cursor.offset = end;
    } else if (wireType === 0) {
      const value = readVarint(bytes, cursor);
      if (field === 2) frameType = value;
    } else if (wireType === 1) cursor.offset += 8;
    else if (wireType === 5) cursor.offset += 4;
    else throw new RangeError(`Unsupported wire type ${wireType} in frame`);
  }
  return { $typeName: typeName, payload, frameType: frameType as FrameType };
}

/** The gRPC serializer of both frame messages, with its framed twin for our servers. */
export const frameSerializer: FramedSerializer = Object.assign(
  (message: unknown) => encodeFrame(message as FrameMessage),
  { [GRPC_FRAMED_SERIALIZER]: (message: unknown) => encodeGrpcFrame(message as FrameMessage) },
);
