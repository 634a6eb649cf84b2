/**
 * Shared by the content-encoding tests and bench: Debian's command-line tools (gzip, xz-utils,
 * bzip2, zstd) as the reference codecs, deterministic test data, and stream helpers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ContentEncoding, ContentEncodingError, decodeStream } from "../encoding.ts";

export const TOOLS: Record<ContentEncoding, string> = {
  gzip: "gzip",
  xz: "xz",
  bz2: "bzip2",
  zstd: "zstd",
};

/** Runs a compression tool on `input` (through a file) and returns what it wrote. */
export async function tool(encoding: ContentEncoding, args: string[], input: Uint8Array) {
  const path = await Deno.makeTempFile({ prefix: "jmp-encoding-" });
  try {
    await Deno.writeFile(path, input);
    const { success, stdout, stderr } = await new Deno.Command(TOOLS[encoding], {
      args: ["-c", "-q", ...args, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(success, `${TOOLS[encoding]} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
    return stdout;
  } finally {
    await Deno.remove(path);
  }
}

export const compress = (encoding: ContentEncoding, input: Uint8Array, ...args: string[]) =>
  tool(encoding, args, input);
export const decompress = (encoding: ContentEncoding, input: Uint8Array) =>
  tool(encoding, ["-d"], input);

/** mulberry32: the same bytes on every run. */
export function prng(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return new Uint8Array(words.buffer, 0, length);
}

/** A disk image as flashed: zeros, with a 4 KiB block of noise in every MiB. */
export function mostlyZeroImage(length: number, seed: number): Uint8Array {
  const image = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 1 << 20) {
    image.set(randomBytes(Math.min(4096, length - offset), seed + offset), offset);
  }
  return image;
}

export function textLike(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const words = ["jumpstarter", "exporter", "lease", "flash", "power", "serial", "the", "a", "of"];
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const word = words[next() % words.length]! + (next() % 7 === 0 ? ".\n" : " ");
    parts.push(word);
    size += word.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, length);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

/** `data` as a stream of chunks whose sizes `size()` picks. */
export function chunks(data: Uint8Array, size: () => number = () => 64 * 1024) {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.byteLength) {
        controller.close();
        return;
      }
      const end = Math.min(data.byteLength, offset + Math.max(1, size()));
      controller.enqueue(data.slice(offset, end));
      offset = end;
    },
  }, { highWaterMark: 0 });
}

export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return concat(...parts);
}

export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export const decode = (encoding: ContentEncoding, data: Uint8Array, size?: () => number) =>
  collect(chunks(data, size).pipeThrough(decodeStream(encoding)));

/** Checks that `promise` rejects with a ContentEncodingError of `encoding` matching `pattern`. */
export async function rejectsDecoding(
  promise: Promise<unknown>,
  encoding: ContentEncoding,
  pattern: RegExp = /./,
) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ContentEncodingError, `not a ContentEncodingError: ${error}`);
    assert.ok(error instanceof TypeError);
    assert.equal(error.encoding, encoding);
    assert.equal(error.operation, "decode");
    assert.match(error.message, new RegExp(`^Cannot decode ${encoding} data: `));
    assert.match(error.message, pattern);
    return true;
  });
}

/** 3 MiB that exercises every path: text, noise and a run of zeros. */
export const MIXED = concat(
  textLike(1536 * 1024, 1),
  randomBytes(1 << 20, 2),
  new Uint8Array(512 * 1024),
);
export const MIXED_SHA = await sha256(MIXED);
