import { type CallOptions, CompositeClient, DriverClient } from "@jumpstarter/lib/client";
import { type ContentEncoding, type Progress, progressStream } from "@jumpstarter/lib/streams";
import { type ImageSourceInput, openImageSource } from "@jumpstarter/driver-opendal";
import { flasherInterface, qemuInterface } from "./interface.ts";

const { methods } = qemuInterface;

async function text(call: Promise<unknown>, what: string): Promise<string> {
  const value = await call;
  if (typeof value !== "string") throw new TypeError(`${what} returned ${JSON.stringify(value)}`);
  return value;
}

/** Client of the Qemu composite: the guest's login details; children reach the rest. */
export class QemuClient extends CompositeClient {
  hostname(options?: CallOptions): Promise<string> {
    return text(this.invoke(methods.get_hostname, [], options), "get_hostname");
  }

  username(options?: CallOptions): Promise<string> {
    return text(this.invoke(methods.get_username, [], options), "get_username");
  }

  password(options?: CallOptions): Promise<string> {
    return text(this.invoke(methods.get_password, [], options), "get_password");
  }

  /** Grows the root disk to `size` (e.g. `20G`) at the next power on. */
  async setDiskSize(size: string, options?: CallOptions): Promise<void> {
    await this.invoke(methods.set_disk_size, [size], options);
  }

  /** Sets the guest's memory (e.g. `2G`) for the next power on. */
  async setMemorySize(size: string, options?: CallOptions): Promise<void> {
    await this.invoke(methods.set_memory_size, [size], options);
  }
}

/**
 * Options of {@linkcode FlasherClient.flash}; `signal` and `timeoutMs` bound the flash call, and
 * an abort (or a failed call) also stops the upload.
 */
export interface FlashOptions extends CallOptions {
  /** Partition or target name; the driver's default when absent. */
  target?: string;
  /** Encoding of the image; by default from its name, then its first bytes. */
  encoding?: ContentEncoding | null;
  onProgress?: (progress: Progress) => void;
}

/** Options of {@linkcode FlasherClient.dump}; `signal` and `timeoutMs` bound the dump call. */
export interface DumpOptions extends CallOptions {
  target?: string;
  onProgress?: (progress: Progress) => void;
}

function isTargetMap(source: unknown): source is Record<string, ImageSourceInput> {
  return typeof source === "object" && source !== null && !(source instanceof ReadableStream) &&
    !(source instanceof URL);
}

/** Client of upstream's FlasherInterface drivers: images into and out of targets. */
export class FlasherClient extends DriverClient {
  /**
   * Flashes one image (a path, an http(s) URL or a stream), or several as `{target: image}`
   * (then `options.target` must not be given), as upstream.
   */
  async flash(
    source: ImageSourceInput | Record<string, ImageSourceInput>,
    options: FlashOptions = {},
  ): Promise<void> {
    if (isTargetMap(source)) {
      if (options.target !== undefined) {
        throw new TypeError("Cannot flash a {target: image} map with a target option as well");
      }
      for (const [target, image] of Object.entries(source)) {
        await this.flash(image, { ...options, target });
      }
      return;
    }
    const image = await openImageSource(
      source,
      options.encoding === undefined ? {} : { encoding: options.encoding },
    );
    const { target = null, encoding: _encoding, onProgress: _onProgress, ...callOptions } = options;
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let stream = image.stream.pipeThrough(new TransformStream(), { signal });
    if (options.onProgress) {
      stream = stream.pipeThrough(
        progressStream({
          ...(image.total === undefined ? {} : { total: image.total }),
          onProgress: options.onProgress,
        }),
      );
    }
    const resource = await this.resource({ source: stream, encoding: image.encoding });
    try {
      await this.invoke(flasherInterface.methods.flash, [resource.handle, target], callOptions);
    } catch (error) {
      stop.abort(error);
      throw error;
    }
    await resource.done;
  }

  /** Dumps a target (the driver's default when absent) into `sink`. */
  async dumpTo(sink: WritableStream<Uint8Array>, options: DumpOptions = {}): Promise<void> {
    const relay = new TransformStream<Uint8Array, Uint8Array>();
    const resource = await this.resource({ sink: relay.writable });
    let data = relay.readable;
    if (options.onProgress) {
      data = data.pipeThrough(progressStream({ onProgress: options.onProgress }));
    }
    const saving = data.pipeTo(sink);
    saving.catch(() => {});
    try {
      const { target = null, onProgress: _onProgress, ...callOptions } = options;
      await this.invoke(flasherInterface.methods.dump, [resource.handle, target], callOptions);
    } catch (error) {
      await Promise.allSettled([resource.done, saving]);
      throw error;
    }
    await resource.done;
    await saving;
  }

  /** Dumps a target into a local file, which appears only once all of it arrived. */
  async dump(path: string, options: DumpOptions = {}): Promise<void> {
    const staging = `${path}.partial-${crypto.randomUUID().slice(0, 8)}`;
    const file = await Deno.open(staging, { write: true, createNew: true });
    try {
      await this.dumpTo(file.writable, options);
      await Deno.rename(staging, path);
    } catch (error) {
      try {
        file.close();
      } catch {
        // the pipe closed it already
      }
      await Deno.remove(staging).catch(() => {});
      throw error;
    }
  }
}
