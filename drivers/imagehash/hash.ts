/**
 * Perceptual hashes as upstream's `imagehash` library computes them (`average_hash`, `dhash`,
 * `dhash_vertical`, `phash`), and their difference: the Hamming distance of the bits.
 */
import { greyscaleResized, type RgbaImage } from "./image.ts";

/** A hash: `size` x `size` bits, row by row; printed as upstream's hex string. */
export class ImageHashValue {
  /** The bits, row by row. */
  readonly bits: readonly boolean[];

  /** A hash of these bits. */
  constructor(bits: readonly boolean[]) {
    this.bits = bits;
  }

  /**
   * How many bits differ (upstream's `hash1 - hash2`).
   *
   * @throws {TypeError} when the hashes have different sizes.
   */
  distance(other: ImageHashValue): number {
    if (other.bits.length !== this.bits.length) {
      throw new TypeError(
        `ImageHashes must be of the same shape: ${this.bits.length} and ${other.bits.length} bits`,
      );
    }
    return this.bits.reduce((count, bit, index) => count + (bit !== other.bits[index] ? 1 : 0), 0);
  }

  /** The bits as hex, most significant first, zero-padded to whole nibbles (upstream's `str`). */
  toString(): string {
    let hex = "";
    const padded = [...Array((4 - this.bits.length % 4) % 4).fill(false), ...this.bits];
    for (let i = 0; i < padded.length; i += 4) {
      const nibble = padded.slice(i, i + 4).reduce((value, bit) => value * 2 + (bit ? 1 : 0), 0);
      hex += nibble.toString(16);
    }
    return hex;
  }
}

/** A hash function: an image and the hash size (bits per side) to a hash. */
export type HashFunction = (image: RgbaImage, hashSize?: number) => ImageHashValue;

function checkSize(hashSize: number): void {
  if (!Number.isInteger(hashSize) || hashSize < 2) {
    throw new RangeError(`Hash size must be an integer of 2 or more, got ${hashSize}`);
  }
}

/** `average_hash`: shrink to N x N greyscale; a bit is set where the pixel is above the mean. */
export const averageHash: HashFunction = (image, hashSize = 8) => {
  checkSize(hashSize);
  const pixels = greyscaleResized(image, hashSize, hashSize);
  const mean = pixels.reduce((sum, value) => sum + value, 0) / pixels.length;
  return new ImageHashValue([...pixels].map((value) => value > mean));
};

/** `dhash`: shrink to (N+1) x N; a bit is set where a pixel is brighter than its left neighbour. */
export const differenceHash: HashFunction = (image, hashSize = 8) => {
  checkSize(hashSize);
  const width = hashSize + 1;
  const pixels = greyscaleResized(image, width, hashSize);
  const bits: boolean[] = [];
  for (let y = 0; y < hashSize; y++) {
    for (let x = 0; x < hashSize; x++) {
      bits.push(pixels[y * width + x + 1]! > pixels[y * width + x]!);
    }
  }
  return new ImageHashValue(bits);
};

/** `dhash_vertical`: shrink to N x (N+1); a bit is set where a pixel is brighter than the one above. */
export const differenceHashVertical: HashFunction = (image, hashSize = 8) => {
  checkSize(hashSize);
  const pixels = greyscaleResized(image, hashSize, hashSize + 1);
  const bits: boolean[] = [];
  for (let y = 0; y < hashSize; y++) {
    for (let x = 0; x < hashSize; x++) {
      bits.push(pixels[(y + 1) * hashSize + x]! > pixels[y * hashSize + x]!);
    }
  }
  return new ImageHashValue(bits);
};

/** DCT-II of `values` (unnormalized, as scipy's default); only the first `keep` terms. */
function dct(values: Float64Array, keep: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(keep);
  for (let k = 0; k < keep; k++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[i]! * Math.cos(Math.PI * k * (2 * i + 1) / (2 * n));
    out[k] = 2 * sum;
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * `phash`: shrink to 4N x 4N greyscale, take the 2-D DCT, keep its N x N lowest frequencies; a bit
 * is set where the coefficient is above their median.
 */
export const perceptualHash: HashFunction = (image, hashSize = 8) => {
  checkSize(hashSize);
  const size = hashSize * 4;
  const pixels = greyscaleResized(image, size, size);
  // along columns first (scipy's axis=0), then along the rows of the result
  const columns: Float64Array[] = [];
  for (let x = 0; x < size; x++) {
    const column = new Float64Array(size);
    for (let y = 0; y < size; y++) column[y] = pixels[y * size + x]!;
    columns.push(dct(column, hashSize));
  }
  const low: number[] = [];
  for (let k = 0; k < hashSize; k++) {
    const row = new Float64Array(size);
    for (let x = 0; x < size; x++) row[x] = columns[x]![k]!;
    low.push(...dct(row, hashSize));
  }
  const threshold = median(low);
  return new ImageHashValue(low.map((value) => value > threshold));
};

/** The hash functions by upstream's names. */
export const HASH_FUNCTIONS: Readonly<Record<string, HashFunction>> = {
  "average_hash": averageHash,
  dhash: differenceHash,
  "dhash_vertical": differenceHashVertical,
  phash: perceptualHash,
};
