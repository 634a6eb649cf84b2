/**
 * The video package's descriptor: upstream's `HttpVideo`, `VideoClient` and its `j` commands.
 * Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { httpVideoType } from "./driver.ts";
import { VideoClient } from "./client.ts";
import { videoCli } from "./cli.ts";
import { videoInterface } from "./interface.ts";

/** `@jumpstarter/driver-video`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-video",
  driverTypes: [httpVideoType],
  clients: [{ classPaths: [videoInterface.client], client: VideoClient, cli: videoCli }],
});
