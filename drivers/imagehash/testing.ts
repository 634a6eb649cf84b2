/**
 * A `deno test` assertion that a screen (a video client's snapshot) matches a reference image;
 * when it does not, the snapshot and a difference image (PNG) are saved next to each other.
 *
 * @example
 * ```ts ignore
 * await assertScreenMatches(client.hdmi, "testdata/login_prompt.jpeg", { tolerance: 2 });
 * ```
 *
 * @module
 */
import { AssertionError } from "node:assert";
import { basename, join } from "node:path";
import {
  ImageHash,
  type ImageHashOptions,
  type SnapshotComparison,
  type SnapshotSource,
} from "./image_hash.ts";
import { encodePng, resized, type RgbaImage } from "./image.ts";

/** Options of {@linkcode assertScreenMatches}. */
export interface ScreenMatchOptions extends ImageHashOptions {
  /** Hash bits allowed to differ (default 1, as upstream's `assert_snapshot`). */
  tolerance?: number;
}

/**
 * Per-pixel absolute difference of `actual` (scaled to the reference's size) and `reference`,
 * amplified 4x so small differences show; identical pixels are black.
 */
export function differenceImage(actual: RgbaImage, reference: RgbaImage): RgbaImage {
  const scaled = resized(actual, reference.width, reference.height);
  const data = new Uint8Array(reference.width * reference.height * 4);
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      data[i + c] = Math.min(255, Math.abs(scaled.data[i + c]! - reference.data[i + c]!) * 4);
    }
    data[i + 3] = 255;
  }
  return { width: reference.width, height: reference.height, data };
}

/**
 * Asserts `client`'s snapshot matches `referenceFile` within `tolerance` hash bits. On failure it
 * saves `FAILED_<reference>` (the snapshot) and `DIFF_<reference stem>.png` in `outdir` and
 * throws an `AssertionError` naming both and the hashes.
 */
export async function assertScreenMatches(
  client: SnapshotSource,
  referenceFile: string,
  options: ScreenMatchOptions = {},
): Promise<SnapshotComparison> {
  const hasher = new ImageHash(client, options);
  const tolerance = options.tolerance ?? 1;
  const comparison = await hasher.compare(referenceFile);
  if (comparison.diff <= tolerance) return comparison;
  const failedPath = await hasher.saveFailed(referenceFile, comparison);
  const diffPath = join(
    hasher.outdir,
    `DIFF_${basename(referenceFile).replace(/\.[^.]*$/, "")}.png`,
  );
  await Deno.writeFile(
    diffPath,
    await encodePng(differenceImage(comparison.snapshot, comparison.reference)),
  );
  throw new AssertionError({
    message: `${
      hasher.mismatchMessage(referenceFile, comparison.diff, tolerance)
    } (snapshot ${comparison.snapshotHash}, reference ${comparison.referenceHash}; saved ${failedPath} and ${diffPath})`,
  });
}
