/**
 * Copies of every message that grpc-js 1.14 makes and byte streams do not need (issue 11: under
 * Deno, allocating, zeroing and collecting them is a good part of the CPU per GiB):
 *
 * - a server copies each serialized response behind gRPC's 5-byte length prefix; a serializer
 *   marked with {@linkcode GRPC_FRAMED_SERIALIZER} (our frame codec) writes the prefix itself and
 *   is sent as is;
 * - a client does the same to each request; a frame from `encodeFrame` already has the prefix in
 *   front of it, and goes out as is when the call sends uncompressed;
 * - a message decoder concatenates each received message into a new buffer even when the whole
 *   message lies inside one received chunk; it then returns a view of that chunk instead (grpc-js
 *   already keeps views of received chunks for messages split across them, so a chunk is never
 *   reused under it).
 *
 * Anything else takes grpc-js's own path, and a grpc-js whose internals moved is left alone.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { BaseServerInterceptingCall } from "@grpc/grpc-js/build/src/server-interceptors.js";
import { StreamDecoder } from "@grpc/grpc-js/build/src/stream-decoder.js";
import { CompressionFilter } from "@grpc/grpc-js/build/src/compression-filter.js";
import { type FramedSerializer, GRPC_FRAMED_SERIALIZER, grpcMessageOf } from "./frame_codec.ts";

const PREFIX_BYTES = 5;

interface ServerCallInternals {
  handler: { serialize: FramedSerializer };
  serializeMessage(value: unknown): Buffer;
}

interface DecoderInternals {
  /** 0 while no message is partly read (grpc-js's `ReadState.NO_DATA`) */
  readState: number;
  maxReadMessageLength: number;
  write(data: Buffer): Buffer[];
}

/** A message on its way through a client's filters. */
interface WriteObject {
  message: Buffer;
  flags?: number | undefined;
}

interface CompressionFilterInternals {
  currentCompressionAlgorithm: string;
  maxSendMessageLength: number;
  sendMessage(message: Promise<WriteObject>): Promise<WriteObject>;
}

let installed = false;

/** Installs both cuts into grpc-js, once per process. */
export function installGrpcCopyCuts(): void {
  if (installed) return;
  installed = true;
  installFramedResponses();
  installFramedRequests();
  installWholeMessageViews();
}

function installFramedResponses(): void {
  const prototype = BaseServerInterceptingCall?.prototype as unknown as ServerCallInternals;
  const original = prototype?.serializeMessage;
  if (typeof original !== "function") return;
  prototype.serializeMessage = function (this: ServerCallInternals, value: unknown): Buffer {
    const framed = this.handler.serialize[GRPC_FRAMED_SERIALIZER];
    return framed ? framed(value) : original.call(this, value);
  };
}

function installFramedRequests(): void {
  const prototype = CompressionFilter?.prototype as unknown as CompressionFilterInternals;
  const original = prototype?.sendMessage;
  if (typeof original !== "function") return;
  prototype.sendMessage = async function (
    this: CompressionFilterInternals,
    message: Promise<WriteObject>,
  ): Promise<WriteObject> {
    const resolved = await message;
    const limit = this.maxSendMessageLength;
    const framed = this.currentCompressionAlgorithm === "identity" &&
        (limit === -1 || resolved.message.length <= limit)
      ? grpcMessageOf(resolved.message)
      : undefined;
    if (framed) return { message: framed, flags: resolved.flags };
    return original.call(this, Promise.resolve(resolved));
  };
}

function installWholeMessageViews(): void {
  const prototype = StreamDecoder?.prototype as unknown as DecoderInternals;
  const original = prototype?.write;
  if (typeof original !== "function" || !("readState" in new StreamDecoder(-1))) return;
  prototype.write = function (this: DecoderInternals, data: Buffer): Buffer[] {
    if (this.readState !== 0) return original.call(this, data);
    const messages: Buffer[] = [];
    let head = 0;
    while (data.length - head >= PREFIX_BYTES) {
      const size = data.readUInt32BE(head + 1);
      const end = head + PREFIX_BYTES + size;
      // too large (grpc-js reports it) or not wholly here: grpc-js reads the rest
      if (end > data.length) break;
      if (this.maxReadMessageLength !== -1 && size > this.maxReadMessageLength) break;
      messages.push(data.subarray(head, end));
      head = end;
    }
    if (head === data.length) return messages;
    const rest = original.call(this, head === 0 ? data : data.subarray(head));
    return messages.length === 0 ? rest : messages.concat(rest);
  };
}
