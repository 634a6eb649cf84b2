/**
 * Clients of storage muxes: switching, image upload (local file, URL or stream; compressed images
 * are sent compressed and decoded on the exporter) and download, plus upstream's flash/dump
 * choreography for StorageMuxFlasher drivers.
 */
import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import {
  type ContentEncoding,
  encodeStream,
  type Progress,
  progressStream,
  type ResourceHandle,
} from "@jumpstarter/lib/streams";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { Digest, digestingSink, digestingStream } from "./digest.ts";
import { storageMuxInterface } from "./storage_mux_interface.ts";
import { type ImageSourceInput, isHttpUrl, openImageSource } from "./source.ts";
import { downloadStaged } from "./staged_file.ts";
import { type WriteResult, writeResultSchema } from "./storage_mux_types.ts";

const { methods } = storageMuxInterface;

/**
 * Options of {@linkcode StorageMuxClient.write}. `timeoutMs` bounds the whole write (the
 * exporter answers once the image is on the medium).
 */
export interface WriteOptions extends CallOptions {
  /** How the source is encoded; by default guessed from its name, then its first bytes. */
  encoding?: ContentEncoding | null;
  /** Bytes a stream source yields, for progress. */
  total?: number;
  /** Called as bytes leave the client (compressed bytes for a compressed image). */
  onProgress?: (progress: Progress) => void;
  /** SHA-256 of the decoded image; the exporter keeps the old content if it differs. */
  sha256?: string;
  /** Reads the storage back afterwards and compares it with what was written. */
  verify?: boolean;
  /** For an `http(s)://` source: let the exporter download it instead of the client. */
  exporterFetch?: boolean;
  /** Aborts the upload; the storage keeps its previous content. */
  signal?: AbortSignal;
}

/** Options of {@linkcode StorageMuxClient.read}; `timeoutMs` bounds the whole read. */
export interface ReadOptions extends CallOptions {
  /** Have the exporter compress what it sends (and `sink` receives compressed bytes). */
  encoding?: ContentEncoding | null;
  onProgress?: (progress: Progress) => void;
}

function timeoutOf(options: CallOptions): CallOptions {
  return options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
}

/** Client of any StorageMuxInterface driver. */
export class StorageMuxClient extends DriverClient {
  /** Connects the storage to the host. */
  async host(options?: CallOptions): Promise<void> {
    await this.invoke(methods.host, [], options);
  }

  /** Connects the storage to the DUT. */
  async dut(options?: CallOptions): Promise<void> {
    await this.invoke(methods.dut, [], options);
  }

  /** Disconnects the storage. */
  async off(options?: CallOptions): Promise<void> {
    await this.invoke(methods.off, [], options);
  }

  /**
   * Writes an image to the storage: a local path, an `http(s)://` URL or a byte stream. Returns
   * what the exporter wrote (size and SHA-256 of the decoded image), or null from an exporter that
   * does not report it (upstream's).
   *
   * @throws {InvalidArgumentError} when `sha256` does not match (the storage is left unchanged).
   */
  async write(source: ImageSourceInput, options: WriteOptions = {}): Promise<WriteResult | null> {
    if (options.exporterFetch) return await this.#writeByExporter(source, options);
    const image = await openImageSource(source, {
      ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
      ...(options.total === undefined ? {} : { total: options.total }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let stream = image.stream.pipeThrough(new TransformStream(), { signal });
    const sent = options.sha256 === undefined ? undefined : new Digest();
    if (sent) stream = stream.pipeThrough(digestingStream(sent));
    if (options.onProgress) {
      stream = stream.pipeThrough(
        progressStream({
          ...(image.total === undefined ? {} : { total: image.total }),
          onProgress: options.onProgress,
        }),
      );
    }
    let resource;
    try {
      resource = await this.resource({ source: stream, encoding: image.encoding });
    } catch (error) {
      await stream.cancel(error).catch(() => {});
      throw error;
    }
    let result: WriteResult | null;
    try {
      // the signal stops the upload, not the call: the exporter answers once it has dropped
      // the partial image, so the caller sees the storage unchanged when this rejects
      const args = [resource.handle, options.sha256?.toLowerCase()] as const;
      result = this.#parseResult(await this.invoke(methods.write, args, timeoutOf(options)));
    } catch (error) {
      // Stop reading the source. The transfer itself is not awaited: when the driver refused
      // without reading, the framework's upload can stay parked on a write to the ended call.
      stop.abort(error);
      if (options.signal?.aborted) throw options.signal.reason;
      throw explainMismatch(error, sent, options.sha256);
    }
    await resource.done;
    return await this.#checked(result, options);
  }

  async #writeByExporter(source: ImageSourceInput, options: WriteOptions) {
    if (source instanceof ReadableStream || !isHttpUrl(source)) {
      throw new TypeError(
        "Cannot let the exporter fetch the image: the source is not an http(s) URL",
      );
    }
    if (options.encoding !== undefined && options.encoding !== null) {
      throw new TypeError(
        "Cannot let the exporter fetch the image with an explicit encoding: the exporter detects compression itself",
      );
    }
    const handle: ResourceHandle = {
      kind: "presigned_request",
      url: new URL(source).href,
      method: "GET",
      headers: {},
    };
    const args = [handle, options.sha256?.toLowerCase()] as const;
    const result = this.#parseResult(await this.invoke(methods.write, args, options));
    return await this.#checked(result, options);
  }

  #parseResult(raw: unknown): WriteResult | null {
    if (raw === null) return null;
    const parsed = writeResultSchema.safeParse(raw);
    if (!parsed.success) {
      throw new DriverError(
        `The exporter answered write with an unexpected result: ${JSON.stringify(raw)}`,
      );
    }
    return parsed.data;
  }

  async #checked(result: WriteResult | null, options: WriteOptions): Promise<WriteResult | null> {
    const expected = options.sha256?.toLowerCase();
    if (expected !== undefined && result !== null && result.sha256 !== expected) {
      throw new InvalidArgumentError(
        `Checksum mismatch: expected sha256 ${expected}, the exporter wrote ${result.sha256}`,
      );
    }
    if (!options.verify) return result;
    if (result === null) {
      throw new DriverError("Cannot verify the write: the exporter did not report what it wrote");
    }
    const digest = new Digest();
    await this.read(digestingSink(digest, result.size));
    const readBack = digest.hex();
    if (digest.size < result.size || readBack !== result.sha256) {
      throw new DriverError(
        `Verification failed: the storage reads back ${digest.size} bytes with sha256 ${readBack}, but ${result.size} bytes with sha256 ${result.sha256} were written`,
      );
    }
    return result;
  }

  /** Writes a local file to the storage (upstream's `write_local_file`). */
  writeLocalFile(path: string, options: WriteOptions = {}): Promise<WriteResult | null> {
    return this.write(path, options);
  }

  /** Reads the whole storage into `sink`. */
  async read(sink: WritableStream<Uint8Array>, options: ReadOptions = {}): Promise<void> {
    const encoding = options.encoding ?? null;
    const relay = new TransformStream<Uint8Array, Uint8Array>();
    const resource = await this.resource({ sink: relay.writable, encoding });
    let data = relay.readable;
    // an exporter that cannot encode sends plain bytes: encode them here
    const granted = resource.handle.kind === "client_stream"
      ? resource.handle.x_jmp_content_encoding
      : null;
    if (encoding !== null && granted === null) data = data.pipeThrough(encodeStream(encoding));
    if (options.onProgress) {
      data = data.pipeThrough(progressStream({ onProgress: options.onProgress }));
    }
    const saving = data.pipeTo(sink, options.signal ? { signal: options.signal } : {});
    saving.catch(() => {});
    try {
      // as for write, the signal stops the transfer and the exporter's answer ends the call
      await this.invoke(methods.read, [resource.handle], timeoutOf(options));
    } catch (error) {
      await Promise.allSettled([resource.done, saving]);
      if (options.signal?.aborted) throw options.signal.reason;
      throw error;
    }
    await resource.done;
    await saving;
  }

  /**
   * Reads the storage into a local file (upstream's `read_local_file`); the file appears only
   * once the whole content arrived.
   */
  async readLocalFile(path: string, options: ReadOptions = {}): Promise<void> {
    await downloadStaged(path, (sink) => this.read(sink, options));
  }
}

function explainMismatch(error: unknown, sent: Digest | undefined, expected: string | undefined) {
  if (
    !(error instanceof InvalidArgumentError) || sent === undefined || expected === undefined ||
    !error.message.startsWith("Checksum mismatch")
  ) return error;
  if (sent.hex() !== expected.toLowerCase()) return error;
  return new InvalidArgumentError(
    `${error.message}. The expected checksum is that of the compressed file as sent; give the checksum of the decompressed image instead`,
    { cause: error },
  );
}

/** Client of StorageMuxFlasher drivers: `flash` and `dump` switch the storage around the transfer. */
export class StorageMuxFlasherClient extends StorageMuxClient {
  /** Connects the storage to the host, writes the image, then connects it to the DUT (always). */
  async flash(source: ImageSourceInput, options: WriteOptions = {}): Promise<WriteResult | null> {
    await this.host();
    const result = await this.#thenDut(this.write(source, options));
    await this.dut();
    return result;
  }

  /** Connects the storage to the host, reads it into `path`, then connects it to the DUT. */
  async dump(path: string, options: ReadOptions = {}): Promise<void> {
    await this.host();
    await this.#thenDut(this.readLocalFile(path, options));
    await this.dut();
  }

  /** On failure, still hands the storage to the DUT, but reports the transfer's error. */
  async #thenDut<T>(transfer: Promise<T>): Promise<T> {
    try {
      return await transfer;
    } catch (error) {
      await this.dut().catch(() => {});
      throw error;
    }
  }
}
