/** Bytes for tests: random payloads and their digests. */

/**
 * `length` random bytes (`crypto.getRandomValues` fills at most 64 KiB per call).
 *
 * @example
 * ```ts
 * import { randomBytes } from "@jumpstarter/lib/testing";
 * console.assert(randomBytes(100_000).length === 100_000);
 * ```
 */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, length)));
  }
  return bytes;
}

/** The SHA-256 of `bytes` as lowercase hex, for comparing payloads in assertion messages. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
