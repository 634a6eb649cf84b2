/** JPEG frames travel as base64 strings on the wire, as upstream's `b64encode(...).decode()`. */
import { Buffer } from "node:buffer";

/** `bytes` as standard base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * The bytes of a standard base64 string.
 *
 * @throws {TypeError} naming `what` when `text` is not a base64 string.
 */
export function fromBase64(text: unknown, what: string): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TypeError(`${what} is not a base64 string`);
  }
  return new Uint8Array(Buffer.from(text, "base64"));
}
