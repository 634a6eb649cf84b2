/**
 * Test images: a deterministic, partly compressible disk image written in chunks, compressed with
 * the real `xz`/`gzip` tools, and file checksums computed by streaming.
 */
import { join } from "node:path";
import { Digest } from "../digest.ts";

const CHUNK = 1024 * 1024;

function fillNoise(chunk: Uint8Array, seed: number): void {
  const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.byteLength / 4);
  let x = seed | 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
}

/** Writes a `size`-byte image (a multiple of 1 MiB): 1/16 noise, the rest patterned. */
export async function writeImage(path: string, size: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(CHUNK);
  const text = new TextEncoder();
  for (let index = 0; index * CHUNK < size; index++) {
    fillNoise(chunk.subarray(0, CHUNK / 16), index + 1);
    const pattern = text.encode(`block ${index} of a jumpstarter test image `);
    for (let at = CHUNK / 16; at < CHUNK; at += pattern.byteLength) {
      chunk.set(pattern.subarray(0, Math.min(pattern.byteLength, CHUNK - at)), at);
    }
    let offset = 0;
    while (offset < CHUNK) offset += await file.write(chunk.subarray(offset));
  }
}

const TOOLS = {
  xz: { suffix: "xz", args: ["-1", "-T2", "-c"] },
  gzip: { suffix: "gz", args: ["-1", "-c"] },
  bzip2: { suffix: "bz2", args: ["-1", "-c"] },
  zstd: { suffix: "zst", args: ["-1", "-q", "-c"] },
} as const;

/** Compresses `path` with a real tool into `path.<suffix>` and returns that path. */
export async function compressWith(tool: keyof typeof TOOLS, path: string): Promise<string> {
  const { suffix, args } = TOOLS[tool];
  const output = `${path}.${suffix}`;
  const child = new Deno.Command(tool, { args: [...args, path], stdout: "piped", stderr: "piped" })
    .spawn();
  const file = await Deno.open(output, { write: true, create: true, truncate: true });
  const [status, , stderr] = await Promise.all([
    child.status,
    child.stdout.pipeTo(file.writable),
    new Response(child.stderr).text(),
  ]);
  if (!status.success) throw new Error(`${tool} failed on ${path}: ${stderr}`);
  return output;
}

/** SHA-256 and size of a file, streamed. */
export async function fileDigest(path: string): Promise<{ size: number; sha256: string }> {
  const digest = new Digest();
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) digest.update(chunk);
  return { size: digest.size, sha256: digest.hex() };
}

/** A 64 MiB image with its xz and gzip forms, made once per test module. */
export interface ImageSet {
  dir: string;
  raw: string;
  xz: string;
  gz: string;
  size: number;
  sha256: string;
}

let images: Promise<ImageSet> | undefined;

/** The shared image set (removed when the test process exits). */
export function imageSet(): Promise<ImageSet> {
  images ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "jmp-mux-images-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const raw = join(dir, "disk.img");
    await writeImage(raw, 64 * CHUNK);
    const [xz, gz] = await Promise.all([compressWith("xz", raw), compressWith("gzip", raw)]);
    return { dir, raw, xz, gz, ...await fileDigest(raw) };
  })();
  return images;
}
