// TEMPORARY STUB by the lead so the workspace type-checks; helper-9 replaces this whole file.
export type ContentEncoding = "gzip" | "xz" | "bz2" | "zstd";
export const CONTENT_ENCODINGS: readonly ContentEncoding[] = ["gzip", "xz", "bz2", "zstd"];
export function isContentEncoding(x: unknown): x is ContentEncoding {
  return typeof x === "string" && (CONTENT_ENCODINGS as readonly string[]).includes(x);
}
export function decodeStream(encoding: ContentEncoding): TransformStream<Uint8Array, Uint8Array> {
  if (encoding !== "gzip") throw new TypeError(`Cannot decode ${encoding} data: not supported yet`);
  return new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
}
export function encodeStream(encoding: ContentEncoding): TransformStream<Uint8Array, Uint8Array> {
  if (encoding !== "gzip") throw new TypeError(`Cannot encode ${encoding} data: not supported yet`);
  return new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
}
export function supportedEncodings(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): ContentEncoding[] {
  return env.JMP_DISABLE_COMPRESSION === "1" ? [] : ["gzip"];
}
