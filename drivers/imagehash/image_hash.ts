/**
 * Upstream's `ImageHash` helper: hashes a video client's snapshots and asserts they match a
 * reference image within a tolerance, keeping the snapshot that did not as `FAILED_<reference>`.
 */
import { AssertionError } from "node:assert";
import { basename, join } from "node:path";
import { averageHash, type HashFunction, type ImageHashValue } from "./hash.ts";
import { decodeImage, encodeImage, readImage, type RgbaImage } from "./image.ts";

/** What `ImageHash` needs of a client: its name and JPEG/PNG snapshots (`VideoClient`). */
export interface SnapshotSource {
  /** Named in failure messages (`<name>.assert_snapshot ...`). */
  readonly name: string;
  /** One frame, JPEG or PNG bytes. */
  snapshot(): Promise<Uint8Array>;
}

/** Options of {@linkcode ImageHash}. */
export interface ImageHashOptions {
  /** Where failed snapshots are saved (default: the working directory). */
  outdir?: string;
  /** The hash (default `averageHash`, upstream's `average_hash`). */
  hashFunc?: HashFunction;
  /** Bits per side of the hash (default 8). */
  hashSize?: number;
}

/** One comparison of a snapshot with a reference image. */
export interface SnapshotComparison {
  /** Hamming distance of the two hashes. */
  diff: number;
  /** The snapshot's hash. */
  snapshotHash: ImageHashValue;
  /** The reference's hash. */
  referenceHash: ImageHashValue;
  /** The snapshot as the client returned it. */
  snapshotBytes: Uint8Array;
  /** The snapshot, decoded. */
  snapshot: RgbaImage;
  /** The reference image, decoded. */
  reference: RgbaImage;
}

function formatOfBytes(bytes: Uint8Array): "jpeg" | "png" | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return "png";
  }
  return undefined;
}

function formatOfName(name: string): "jpeg" | "png" | undefined {
  if (/\.jpe?g$/i.test(name)) return "jpeg";
  if (/\.png$/i.test(name)) return "png";
  return undefined;
}

/**
 * Saves `bytes` (decoded as `image`) under `path` in the format its name asks for (JPEG or PNG,
 * as PIL's `save` does), as they are when they already are in it or the name names neither.
 */
export async function saveImage(path: string, bytes: Uint8Array, image: RgbaImage): Promise<void> {
  const wanted = formatOfName(path);
  const keep = wanted === undefined || wanted === formatOfBytes(bytes);
  await Deno.writeFile(path, keep ? bytes : await encodeImage(image, wanted));
}

/** Hashing and comparing the snapshots of one video client. */
export class ImageHash {
  /** Where snapshots come from. */
  readonly client: SnapshotSource;
  /** Where failed snapshots are saved. */
  readonly outdir: string;
  /** The hash compared. */
  readonly hashFunc: HashFunction;
  /** Bits per side of the hash. */
  readonly hashSize: number;

  /** Hashes `client`'s snapshots; `options` as upstream's keyword arguments. */
  constructor(client: SnapshotSource, options: ImageHashOptions = {}) {
    this.client = client;
    this.outdir = options.outdir ?? Deno.cwd();
    this.hashFunc = options.hashFunc ?? averageHash;
    this.hashSize = options.hashSize ?? 8;
  }

  /** A snapshot from the client, as it returned it (JPEG bytes from a video driver). */
  snapshot(): Promise<Uint8Array> {
    return this.client.snapshot();
  }

  /** The hash of a fresh snapshot. @throws {Error} one line when it does not decode. */
  async hashSnapshot(): Promise<ImageHashValue> {
    const image = await decodeImage(await this.snapshot(), `snapshot of ${this.client.name}`);
    return this.hashFunc(image, this.hashSize);
  }

  /** Takes a snapshot and hashes it and `referenceFile`. */
  async compare(referenceFile: string): Promise<SnapshotComparison> {
    const reference = await readImage(referenceFile);
    const snapshotBytes = await this.snapshot();
    const snapshot = await decodeImage(snapshotBytes, `snapshot of ${this.client.name}`);
    const referenceHash = this.hashFunc(reference, this.hashSize);
    const snapshotHash = this.hashFunc(snapshot, this.hashSize);
    return {
      diff: referenceHash.distance(snapshotHash),
      snapshotHash,
      referenceHash,
      snapshotBytes,
      snapshot,
      reference,
    };
  }

  /** Saves the snapshot of a failed comparison as `FAILED_<reference name>` in `outdir`. */
  async saveFailed(referenceFile: string, comparison: SnapshotComparison): Promise<string> {
    const path = join(this.outdir, `FAILED_${basename(referenceFile)}`);
    await saveImage(path, comparison.snapshotBytes, comparison.snapshot);
    return path;
  }

  /** Upstream's failure message: `<client>.assert_snapshot FAILED_<name>: diff D > tolerance T`. */
  mismatchMessage(referenceFile: string, diff: number, tolerance: number): string {
    return `${this.client.name}.assert_snapshot FAILED_${
      basename(referenceFile)
    }: diff ${diff} > tolerance ${tolerance}`;
  }

  /**
   * Asserts a fresh snapshot hashes within `tolerance` bits of `referenceFile`'s hash; if not,
   * saves it as `FAILED_<reference name>` in `outdir` and throws.
   *
   * @throws {AssertionError} `<client>.assert_snapshot FAILED_<name>: diff D > tolerance T`;
   *   {Error} one line when the reference or the snapshot cannot be read or decoded.
   */
  async assertSnapshot(referenceFile: string, tolerance = 1): Promise<SnapshotComparison> {
    const comparison = await this.compare(referenceFile);
    if (comparison.diff > tolerance) {
      await this.saveFailed(referenceFile, comparison);
      throw new AssertionError({
        message: this.mismatchMessage(referenceFile, comparison.diff, tolerance),
      });
    }
    return comparison;
  }
}
