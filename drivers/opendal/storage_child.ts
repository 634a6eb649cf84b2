/**
 * Upstream's `storage` child of drivers that serve files from a directory (Tftp, HttpServer): an
 * `Opendal` `fs` service over that directory, through which upstream's clients put files.
 */
import type { Driver, DriverOptions } from "@jumpstarter/lib/driver";
import { OpendalUnavailableError } from "./binding.ts";
import { Opendal } from "./opendal_driver.ts";

/**
 * Adds an `Opendal` `fs` child named `storage`, rooted at `root`, to `parent`. Where the OpenDAL
 * binding does not load, `parent` logs a warning and goes on without it.
 */
export function addFsStorageChild(parent: Driver, root: string, options: DriverOptions): void {
  try {
    const storage = new Opendal({ scheme: "fs", kwargs: { root } }, {
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    });
    parent.addChild("storage", storage);
  } catch (error) {
    if (!(error instanceof OpendalUnavailableError)) throw error;
    parent.logger.warning(`No storage child: ${error.message}`);
  }
}
