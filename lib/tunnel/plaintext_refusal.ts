/**
 * What a TLS listener answers a client that speaks plaintext to it. The first bytes tell them
 * apart: a TLS record starts with its content type 0x16 (handshake), an HTTP/2 client with the
 * preface `PRI * HTTP/2.0`, an HTTP/1 client with a method name. A plaintext gRPC client is
 * answered in its own protocol, a trailers-only response whose `grpc-message` says TLS is
 * required, so it prints that instead of an opaque reset; an HTTP/1 client gets a 400 saying
 * the same.
 */
import type net from "node:net";
import { Code } from "@jumpstarter/lib/wire";

/** The first bytes of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;
/** The HTTP/2 client connection preface (RFC 9113 3.4). */
const H2_PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const FRAME_HEADERS = 0x1;
const FRAME_SETTINGS = 0x4;
const FRAME_GOAWAY = 0x7;
const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;

/** What a connection's first bytes say it speaks; "more" until they can tell. */
export type FirstBytes = "tls" | "h2" | "http1" | "other" | "more";

/** `head` followed by `tail`, in a new array. */
export function appendBytes(head: Uint8Array, tail: Uint8Array): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}

/** Classifies a connection by the bytes received so far. */
export function classifyFirstBytes(bytes: Uint8Array): FirstBytes {
  if (bytes.length === 0) return "more";
  if (bytes[0] === TLS_HANDSHAKE) return "tls";
  const prefix = Math.min(bytes.length, H2_PREFACE.length);
  if (H2_PREFACE.subarray(0, prefix).every((byte, i) => byte === bytes[i])) {
    return prefix === H2_PREFACE.length ? "h2" : "more";
  }
  const text = new TextDecoder().decode(bytes.subarray(0, 8));
  if (/^[A-Z]+ /.test(text)) return "http1";
  return /^[A-Z]*$/.test(text) && bytes.length < 8 ? "more" : "other";
}

/** HPACK integer with a 7-bit prefix (RFC 7541 5.1), the first byte's high bit left clear. */
function hpackLength(value: number): number[] {
  if (value < 0x7f) return [value];
  const out = [0x7f];
  let rest = value - 0x7f;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest >>= 7;
  }
  out.push(rest);
  return out;
}

/** An HPACK literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2). */
function hpackLiteral(name: string, value: string): number[] {
  const n = new TextEncoder().encode(name);
  const v = new TextEncoder().encode(value);
  return [0x00, ...hpackLength(n.length), ...n, ...hpackLength(v.length), ...v];
}

function frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length << 8);
  out[3] = type;
  out[4] = flags;
  view.setUint32(5, stream & 0x7fffffff);
  out.set(payload, 9);
  return out;
}

/** `grpc-message` percent-encoding: only printable ASCII but `%` travels as is. */
function grpcMessage(message: string): string {
  return [...new TextEncoder().encode(message)].map((byte) =>
    byte >= 0x20 && byte <= 0x7e && byte !== 0x25
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  ).join("");
}

/** The frames ending gRPC call `stream` with FAILED_PRECONDITION and `message`, then GOAWAY. */
function grpcRefusalFrames(stream: number, message: string): Uint8Array[] {
  const block = new Uint8Array([
    0x88, // :status 200, static table entry 8
    ...hpackLiteral("content-type", "application/grpc"),
    // FAILED_PRECONDITION: not retried by clients, shown with its message
    ...hpackLiteral("grpc-status", String(Code.FAILED_PRECONDITION)),
    ...hpackLiteral("grpc-message", grpcMessage(message)),
  ]);
  const goaway = new Uint8Array(8);
  new DataView(goaway.buffer).setUint32(0, stream & 0x7fffffff); // last stream; NO_ERROR
  return [
    frame(FRAME_HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, stream, block),
    frame(FRAME_GOAWAY, 0, 0, goaway),
  ];
}

/**
 * Speaks just enough HTTP/2 on `socket` (whose bytes so far are `received`, the preface first)
 * to answer the client's first request with a gRPC error saying `message`, then closes.
 */
export function refuseH2(socket: net.Socket, received: Uint8Array, message: string): void {
  let buffer = received.subarray(H2_PREFACE.length);
  let answered = false;
  socket.write(frame(FRAME_SETTINGS, 0, 0, new Uint8Array()));
  const onData = (chunk: Uint8Array) => {
    buffer = appendBytes(buffer, chunk);
    while (!answered && buffer.length >= 9) {
      const length = (buffer[0]! << 16) | (buffer[1]! << 8) | buffer[2]!;
      if (buffer.length < 9 + length) break;
      const type = buffer[3]!;
      const flags = buffer[4]!;
      const stream = new DataView(buffer.buffer, buffer.byteOffset).getUint32(5) & 0x7fffffff;
      buffer = buffer.subarray(9 + length);
      if (type === FRAME_SETTINGS && !(flags & FLAG_ACK)) {
        socket.write(frame(FRAME_SETTINGS, FLAG_ACK, 0, new Uint8Array()));
      } else if (type === FRAME_HEADERS && stream !== 0) {
        answered = true;
        for (const bytes of grpcRefusalFrames(stream, message)) socket.write(bytes);
        socket.end();
      }
    }
  };
  socket.on("data", onData);
  onData(new Uint8Array());
}

/** Answers an HTTP/1 request on `socket` with 400 and `message`, then closes. */
export function refuseHttp1(socket: net.Socket, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n` +
      `content-length: ${
        new TextEncoder().encode(body).length
      }\r\nconnection: close\r\n\r\n${body}`,
  );
}
