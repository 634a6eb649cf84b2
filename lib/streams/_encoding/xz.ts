/**
 * xz: @napi-rs/lzma's WHATWG transforms (native, tokio-backed; they pull their input on demand).
 *
 * @module
 */
import * as lzmaXz from "@napi-rs/lzma/xz";

interface XzModule {
  decompressStream(input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
  compressStream(
    input: ReadableStream<Uint8Array>,
    options?: { preset?: number },
  ): ReadableStream<Uint8Array>;
}

/** The native xz addon, imported statically so `deno compile` bundles it. */
export function loadXz(): Promise<XzModule> {
  return Promise.resolve(lzmaXz as unknown as XzModule);
}
