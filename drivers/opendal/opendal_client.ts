/**
 * Client of upstream's `Opendal` driver: storage operations and remote file handles. Bytes move
 * through resources: a local file is streamed to the exporter, an `http(s)://` source is handed
 * to the exporter as a presigned GET that it fetches itself (as upstream's adapter does).
 */
import { resolve } from "node:path";
import { z } from "zod";
import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import type { ResourceHandle } from "@jumpstarter/lib/streams";
import { fileChunks } from "./file_chunks.ts";
import { opendalInterface } from "./opendal_interface.ts";
import {
  type Capability,
  capabilitySchema,
  type HashAlgo,
  type Metadata,
  metadataSchema,
  type Mode,
  type PresignedRequest,
  presignedRequestSchema,
} from "./opendal_types.ts";
import { isHttpUrl } from "./source.ts";
import { downloadStaged } from "./staged_file.ts";

const { methods } = opendalInterface;

/** A local file as a stream of chunks; a missing one is one clear line. */
async function openLocal(path: string): Promise<ReadableStream<Uint8Array>> {
  const absolute = resolve(path);
  try {
    return fileChunks(await Deno.open(absolute, { read: true }));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Deno.errors.NotFound(`Cannot read local file ${absolute}: no such file`);
  }
}

/** A file opened on the exporter by {@linkcode OpendalClient.open}. */
export class OpendalFile {
  readonly client: OpendalClient;
  /** The exporter's handle for this file (upstream's UUID). */
  readonly fd: string;

  constructor(client: OpendalClient, fd: string) {
    this.client = client;
    this.fd = fd;
  }

  /** Writes everything `source` yields into the file. */
  async writeFrom(source: ReadableStream<Uint8Array>, options: CallOptions = {}): Promise<void> {
    const resource = await this.client.resource({ source });
    await this.client.invoke(methods.file_write, [this.fd, resource.handle], options);
    await resource.done;
  }

  /** Sends the file from its cursor to the end into `sink`. */
  async readInto(sink: WritableStream<Uint8Array>, options: CallOptions = {}): Promise<void> {
    const resource = await this.client.resource({ sink });
    await this.client.invoke(methods.file_read, [this.fd, resource.handle], options);
    await resource.done;
  }

  /** Writes a local file, or an `http(s)://` URL the exporter downloads, into the file. */
  async writeFromPath(source: string, options: CallOptions = {}): Promise<void> {
    if (isHttpUrl(source)) {
      const handle: ResourceHandle = {
        kind: "presigned_request",
        url: new URL(source).href,
        method: "GET",
        headers: {},
      };
      await this.client.invoke(methods.file_write, [this.fd, handle], options);
      return;
    }
    await this.writeFrom(await openLocal(source), options);
  }

  /** Reads the file into a local file, which appears only once complete. */
  async readIntoPath(target: string, options: CallOptions = {}): Promise<void> {
    await downloadStaged(resolve(target), (sink) => this.readInto(sink, options));
  }

  async writeBytes(data: Uint8Array, options: CallOptions = {}): Promise<void> {
    await this.writeFrom(new Blob([data as Uint8Array<ArrayBuffer>]).stream(), options);
  }

  async readBytes(options: CallOptions = {}): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    await this.readInto(new WritableStream({ write: (chunk) => void chunks.push(chunk) }), options);
    return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
  }

  /** Moves the cursor (whence 0: start, 1: cursor, 2: end); returns the new position. */
  async seek(pos: number, whence = 0, options: CallOptions = {}): Promise<number> {
    return z.number().parse(
      await this.client.invoke(methods.file_seek, [this.fd, pos, whence], options),
    );
  }

  async tell(options: CallOptions = {}): Promise<number> {
    return z.number().parse(await this.client.invoke(methods.file_tell, [this.fd], options));
  }

  async close(options: CallOptions = {}): Promise<void> {
    await this.client.invoke(methods.file_close, [this.fd], options);
  }

  async closed(options: CallOptions = {}): Promise<boolean> {
    return z.boolean().parse(await this.client.invoke(methods.file_closed, [this.fd], options));
  }

  async readable(options: CallOptions = {}): Promise<boolean> {
    return z.boolean().parse(await this.client.invoke(methods.file_readable, [this.fd], options));
  }

  async seekable(options: CallOptions = {}): Promise<boolean> {
    return z.boolean().parse(await this.client.invoke(methods.file_seekable, [this.fd], options));
  }

  async writable(options: CallOptions = {}): Promise<boolean> {
    return z.boolean().parse(await this.client.invoke(methods.file_writable, [this.fd], options));
  }
}

/** Client of any Opendal driver (upstream's `OpendalClient`). */
export class OpendalClient extends DriverClient {
  /** Opens `path` on the exporter for reading (`rb`) or writing (`wb`). */
  async open(path: string, mode: Mode, options: CallOptions = {}): Promise<OpendalFile> {
    const fd = z.string().parse(await this.invoke(methods.open, [path, mode], options));
    return new OpendalFile(this, fd);
  }

  /** Opens `path`, runs `use` on it and closes it whatever happens. */
  async #with<T>(path: string, mode: Mode, use: (file: OpendalFile) => Promise<T>): Promise<T> {
    const file = await this.open(path, mode);
    try {
      return await use(file);
    } finally {
      await file.close();
    }
  }

  writeBytes(path: string, data: Uint8Array): Promise<void> {
    return this.#with(path, "wb", (file) => file.writeBytes(data));
  }

  readBytes(path: string): Promise<Uint8Array> {
    return this.#with(path, "rb", (file) => file.readBytes());
  }

  /**
   * Writes the local file (or `http(s)://` URL) `source` into `target` on the exporter. A local
   * file is opened first, so a missing one leaves no empty target behind.
   */
  async writeFromPath(target: string, source: string): Promise<void> {
    if (isHttpUrl(source)) {
      return await this.#with(target, "wb", (file) => file.writeFromPath(source));
    }
    const stream = await openLocal(source);
    try {
      await this.#with(target, "wb", (file) => file.writeFrom(stream));
    } catch (error) {
      await stream.cancel().catch(() => {});
      throw error;
    }
  }

  /** Reads `source` on the exporter into the local file `target`. */
  readIntoPath(source: string, target: string): Promise<void> {
    return this.#with(source, "rb", (file) => file.readIntoPath(target));
  }

  async stat(path: string, options: CallOptions = {}): Promise<Metadata> {
    return metadataSchema.parse(await this.invoke(methods.stat, [path], options));
  }

  async hash(path: string, algo: HashAlgo = "sha256", options: CallOptions = {}): Promise<string> {
    return z.string().parse(await this.invoke(methods.hash, [path, algo], options));
  }

  async copy(source: string, target: string, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.copy, [source, target], options);
  }

  async rename(source: string, target: string, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.rename, [source, target], options);
  }

  async removeAll(path: string, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.remove_all, [path], options);
  }

  /** Creates a directory; the path must end with `/`; parents are created too. */
  async createDir(path: string, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.create_dir, [path], options);
  }

  /** Deletes `path`; a missing path is not an error. */
  async delete(path: string, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.delete, [path], options);
  }

  async exists(path: string, options: CallOptions = {}): Promise<boolean> {
    return z.boolean().parse(await this.invoke(methods.exists, [path], options));
  }

  /** The entries of a directory (the directory itself included, as OpenDAL lists it). */
  async *list(path: string, options: CallOptions = {}): AsyncGenerator<string> {
    for await (const entry of this.invokeStreaming(methods.list, [path], options)) {
      yield z.string().parse(entry);
    }
  }

  /** Every entry below a directory, recursively. */
  async *scan(path: string, options: CallOptions = {}): AsyncGenerator<string> {
    for await (const entry of this.invokeStreaming(methods.scan, [path], options)) {
      yield z.string().parse(entry);
    }
  }

  async presignStat(path: string, expireSecond: number, options: CallOptions = {}) {
    return await this.#presigned(methods.presign_stat, path, expireSecond, options);
  }

  async presignRead(path: string, expireSecond: number, options: CallOptions = {}) {
    return await this.#presigned(methods.presign_read, path, expireSecond, options);
  }

  async presignWrite(path: string, expireSecond: number, options: CallOptions = {}) {
    return await this.#presigned(methods.presign_write, path, expireSecond, options);
  }

  async #presigned(
    method:
      | typeof methods.presign_read
      | typeof methods.presign_stat
      | typeof methods.presign_write,
    path: string,
    expireSecond: number,
    options: CallOptions,
  ): Promise<PresignedRequest> {
    return presignedRequestSchema.parse(await this.invoke(method, [path, expireSecond], options));
  }

  async capability(options: CallOptions = {}): Promise<Capability> {
    return capabilitySchema.parse(await this.invoke(methods.capability, [], options));
  }

  /** Paths the driver created during its lifetime. */
  async getCreatedResources(options: CallOptions = {}): Promise<string[]> {
    return z.array(z.string()).parse(
      await this.invoke(methods.get_created_resources, [], options),
    );
  }
}
