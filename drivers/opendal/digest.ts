/**
 * Incremental SHA-256 over streamed chunks (WebCrypto only hashes whole buffers, and images must
 * never be held in memory whole).
 */
import { createHash, type Hash } from "node:crypto";

/** A running SHA-256 and byte count. */
export class Digest {
  readonly #hash: Hash = createHash("sha256");
  #size = 0;

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
  }

  /** Bytes hashed so far. */
  get size(): number {
    return this.#size;
  }

  /** The lowercase hex digest; ends the hash. */
  hex(): string {
    return this.#hash.digest("hex");
  }
}

/** A pass-through that feeds every chunk to `digest`. */
export function digestingStream(digest: Digest): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      digest.update(chunk);
      controller.enqueue(chunk);
    },
  });
}

/** A sink that hashes what it receives, up to `limit` bytes (the rest is counted, not hashed). */
export function digestingSink(
  digest: Digest,
  limit = Infinity,
): WritableStream<Uint8Array> {
  let seen = 0;
  return new WritableStream({
    write(chunk) {
      const room = limit - seen;
      seen += chunk.byteLength;
      if (room <= 0) return;
      digest.update(room < chunk.byteLength ? chunk.subarray(0, room) : chunk);
    },
  });
}
