/**
 * Client of FlasherInterface drivers (upstream's `FlasherClient`): flash one image, or one image
 * per target, and dump a partition. As upstream, an `http(s)://` image is fetched by the exporter
 * (a presigned GET) and a local one streamed; `compression` says how the local file is encoded
 * (the exporter decodes it) or how the dump should be encoded.
 */
import { resolve } from "node:path";
import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import {
  type ContentEncoding,
  type Progress,
  progressStream,
  type ResourceHandle,
} from "@jumpstarter/lib/streams";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { flasherInterface } from "./opendal_interface.ts";
import { isHttpUrl, openImageSource } from "./source.ts";
import { downloadStaged } from "./staged_file.ts";

const { methods } = flasherInterface;

/** Options of {@linkcode FlasherClient.flash}. */
export interface FlashOptions extends CallOptions {
  /** The partition to flash; not allowed with a target map. */
  target?: string | null;
  /** How the local image is compressed (the exporter decodes it); none by default, as upstream. */
  compression?: ContentEncoding | null;
  /** Called as bytes leave the client, per image. */
  onProgress?: (progress: Progress, image: string) => void;
}

/** Options of {@linkcode FlasherClient.dump}. */
export interface DumpOptions extends CallOptions {
  target?: string | null;
  /** Have the exporter compress what it sends. */
  compression?: ContentEncoding | null;
}

/** Client of any FlasherInterface driver. */
export class FlasherClient extends DriverClient {
  /**
   * Flashes `image` (a local path or an `http(s)://` URL), or each image of a
   * `{target: image}` map into its target, in order.
   *
   * @throws {InvalidArgumentError} for `target` with a map, or `compression` with a URL.
   */
  async flash(image: string | Record<string, string>, options: FlashOptions = {}): Promise<void> {
    if (typeof image === "string") {
      await this.#flashOne(image, options.target ?? null, options);
      return;
    }
    if (options.target !== undefined && options.target !== null) {
      throw new InvalidArgumentError(
        "'target' parameter is not valid when flashing multiple images",
      );
    }
    for (const [target, path] of Object.entries(image)) {
      await this.#flashOne(path, target, options);
    }
  }

  async #flashOne(image: string, target: string | null, options: FlashOptions): Promise<void> {
    const call: CallOptions = {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    if (isHttpUrl(image)) {
      if (options.compression) {
        throw new InvalidArgumentError(
          `Cannot flash ${image} with --compression: the exporter fetches a URL as it is`,
        );
      }
      const handle: ResourceHandle = {
        kind: "presigned_request",
        url: new URL(image).href,
        method: "GET",
        headers: {},
      };
      await this.invoke(methods.flash, [handle, target], call);
      return;
    }
    const source = await openImageSource(resolve(image), { encoding: options.compression ?? null });
    let stream = source.stream;
    const report = options.onProgress;
    if (report) {
      stream = stream.pipeThrough(progressStream({
        ...(source.total === undefined ? {} : { total: source.total }),
        onProgress: (progress) => report(progress, image),
      }));
    }
    const resource = await this.resource({ source: stream, encoding: source.encoding });
    await this.invoke(methods.flash, [resource.handle, target], call);
    await resource.done;
  }

  /** Dumps `target` (the default partition when none) into the local file `path`. */
  async dump(path: string, options: DumpOptions = {}): Promise<void> {
    await downloadStaged(resolve(path), async (sink) => {
      const resource = await this.resource({ sink, encoding: options.compression ?? null });
      await this.invoke(methods.dump, [resource.handle, options.target ?? null], {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      await resource.done;
    });
  }
}
