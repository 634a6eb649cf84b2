/**
 * Upstream `jumpstarter_driver_opendal`: the Opendal storage interface, the Flasher interface,
 * the StorageMux and StorageMuxFlasher interfaces, their clients and CLIs. Exporter-side drivers
 * are in `./driver`; the package descriptor (`driverPackage`) in `./package`.
 *
 * @module
 */
export {
  sha256HexSchema,
  storageMuxFlasherInterface,
  storageMuxInterface,
} from "./storage_mux_interface.ts";
export {
  type ReadOptions,
  StorageMuxClient,
  StorageMuxFlasherClient,
  type WriteOptions,
} from "./storage_mux_client.ts";
export {
  storageMuxCli,
  type StorageMuxCliContext,
  storageMuxFlasherCli,
} from "./storage_mux_cli.ts";
export {
  type ImageSource,
  type ImageSourceInput,
  isHttpUrl,
  openImageSource,
  type OpenImageSourceOptions,
} from "./source.ts";
export { type MuxState, type WriteResult, writeResultSchema } from "./storage_mux_types.ts";
export { imageStream } from "./image_stream.ts";
export { flasherInterface, opendalInterface } from "./opendal_interface.ts";
export { OpendalClient, OpendalFile } from "./opendal_client.ts";
export { type DumpOptions, FlasherClient, type FlashOptions } from "./flasher_client.ts";
export { opendalCli } from "./opendal_cli.ts";
export { flasherCli, type FlasherCliContext, targetMap } from "./flasher_cli.ts";
export {
  type Capability,
  capabilitySchema,
  type HashAlgo,
  type Metadata,
  metadataSchema,
  type Mode,
  type PresignedRequest,
  presignedRequestSchema,
} from "./opendal_types.ts";
