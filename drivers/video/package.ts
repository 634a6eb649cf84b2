/**
 * The video package's descriptor: upstream's `HttpVideo`, `VideoClient` and its `j` commands.
 * Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  urlNetAddress,
} from "@jumpstarter/lib/driver";
import { type HttpVideoConfig, httpVideoType } from "./driver.ts";
import { VideoClient } from "./client.ts";
import { videoCli } from "./cli.ts";
import { videoInterface } from "./interface.ts";

/** `@jumpstarter/driver-video`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-video",
  driverTypes: [httpVideoType],
  clients: [{ classPaths: [videoInterface.client], client: VideoClient, cli: videoCli }],
  grants: { HttpVideo: httpVideoGrants },
});

/** The camera's host (and the snapshot URL's, which may be relative to it). */
function httpVideoGrants(config: HttpVideoConfig): Grants {
  try {
    const urls = [
      config.url,
      ...(config.snapshot_url ? [new URL(config.snapshot_url, config.url).href] : []),
    ];
    return { net: [...new Set(urls.map(urlNetAddress))] };
  } catch {
    return { net: [] }; // not a URL: the driver refuses the config when it is built
  }
}
