/**
 * Image hashing for video tests (upstream's `jumpstarter-imagehash`): perceptual hashes of
 * snapshots and `ImageHash.assertSnapshot`, comparing a client's snapshot with a reference image
 * within a tolerance. `./testing` adds a `deno test` assertion that also saves a difference image.
 *
 * @module
 */
export {
  averageHash,
  differenceHash,
  differenceHashVertical,
  HASH_FUNCTIONS,
  type HashFunction,
  ImageHashValue,
  perceptualHash,
} from "./hash.ts";
export {
  ImageHash,
  type ImageHashOptions,
  type SnapshotComparison,
  type SnapshotSource,
} from "./image_hash.ts";
export { decodeImage, encodeImage, encodePng, readImage, type RgbaImage } from "./image.ts";
