/**
 * Flasher bundles (upstream `jumpstarter_driver_flashers`): the interface, the client that boots
 * a bundle through U-Boot and writes an image from its busybox shell, its CLI, and the bundle
 * manifest. The exporter-side driver (BaseFlasher and presets) is in `./driver`.
 *
 * @module
 */
export { flasherInterface } from "./interface.ts";
export { BaseFlasherClient, type FlashOptions, type FlashResult } from "./client.ts";
export { flasherCli } from "./cli.ts";
export { baseName, FlasherManifest, type ManifestData, manifestSchema } from "./manifest.ts";
export {
  decompressCommand,
  FlashNonRetryableError,
  type FlashProgress,
  FlashRetryableError,
} from "./busybox.ts";
