/**
 * Storage muxes (upstream `jumpstarter_driver_opendal`): the StorageMux and StorageMuxFlasher
 * interfaces, their clients and CLIs. Exporter-side mocks are in `./driver`; the package
 * descriptor (`driverPackage`) in `./package`.
 *
 * @module
 */
export { sha256HexSchema, storageMuxFlasherInterface, storageMuxInterface } from "./interface.ts";
export {
  type ReadOptions,
  StorageMuxClient,
  StorageMuxFlasherClient,
  type WriteOptions,
} from "./client.ts";
export { storageMuxCli, type StorageMuxCliContext, storageMuxFlasherCli } from "./cli.ts";
export {
  type ImageSource,
  type ImageSourceInput,
  isHttpUrl,
  openImageSource,
  type OpenImageSourceOptions,
} from "./source.ts";
export { type MuxState, type WriteResult, writeResultSchema } from "./types.ts";
