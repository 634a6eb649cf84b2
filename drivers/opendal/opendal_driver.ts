/**
 * Exporter side of upstream's `Opendal`: one storage service (`fs`, `memory`, `s3`, `http`, ...)
 * through the Apache OpenDAL binding, with file handles that move bytes through resources.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError, InvalidArgumentError, JumpstarterError } from "@jumpstarter/lib/wire";
import {
  type NativeOperator,
  nativeOperator,
  opendalFailure,
  OpendalUnavailableError,
} from "./binding.ts";
import { confineToRoot } from "./fs_confinement.ts";
import { CHUNK_SIZE, OpenFile } from "./open_file.ts";
import { opendalInterface } from "./opendal_interface.ts";
import {
  type Capability,
  capabilityOf,
  type HashAlgo,
  type Metadata,
  metadataOf,
  type Mode,
  type PresignedRequest,
  presignedRequestOf,
} from "./opendal_types.ts";

/** Config of `Opendal`, as upstream's constructor keywords. */
export const opendalConfigSchema = z.object({
  scheme: z.string({ error: "scheme must name an OpenDAL service (fs, memory, s3, ...)" })
    .min(1, "scheme must not be empty"),
  /** The service's options (e.g. `root`, `bucket`, `endpoint`); values are strings, as upstream. */
  kwargs: z.record(z.string(), z.string({ error: "kwargs values must be strings" })).default({}),
  /** Remove what this driver created when it closes (`fs` only, as upstream). */
  "remove_created_on_close": z.boolean().default(false),
}).strict();

export type OpendalConfig = z.input<typeof opendalConfigSchema>;

/** Upstream's path normalization for the created-paths record: no dot segments or slashes. */
function normalized(path: string): string {
  if (path === "") return path;
  const result = posix.normalize(path.replaceAll("\\", "/")).replace(/^\/+|\/+$/g, "");
  return result === "." ? "" : result;
}

/** One storage service. Every path is relative to the service's root. */
export class Opendal extends Driver {
  readonly interface = opendalInterface;
  readonly scheme: string;
  readonly kwargs: Readonly<Record<string, string>>;
  readonly removeCreatedOnClose: boolean;
  readonly #operator: NativeOperator;
  readonly #files = new Map<string, OpenFile>();
  readonly #created = new Set<string>();

  /**
   * @throws {InvalidArgumentError} for an unknown scheme or options the service refuses.
   * @throws {OpendalUnavailableError} when the OpenDAL binding does not load on this machine.
   */
  constructor(config: OpendalConfig, options: DriverOptions = {}) {
    super(options);
    const parsed = opendalConfigSchema.parse(config);
    this.scheme = parsed.scheme;
    this.kwargs = parsed.kwargs;
    this.removeCreatedOnClose = parsed.remove_created_on_close;
    try {
      this.#operator = nativeOperator(this.scheme, { ...this.kwargs });
    } catch (error) {
      if (!(error instanceof Error) || error instanceof OpendalUnavailableError) throw error;
      throw new InvalidArgumentError(
        `Cannot use OpenDAL scheme "${this.scheme}": ${opendalFailure(error).reason}`,
      );
    }
  }

  /** The service and its root, for messages (`fs:/srv/tftp`). */
  get where(): string {
    const root = this.kwargs.root;
    return root === undefined ? this.scheme : `${this.scheme}:${root}`;
  }

  /** Refuses paths outside an `fs` root before OpenDAL sees them. */
  async #checked(path: string): Promise<string> {
    if (this.scheme === "fs") await confineToRoot(this.kwargs.root ?? Deno.cwd(), path);
    return path;
  }

  /** Runs an OpenDAL operation, turning its error into one line naming the action and path. */
  async #run<T>(action: string, path: string, step: () => Promise<T>): Promise<T> {
    return await this.#attempt(`${action} "${path}"`, step);
  }

  async #attempt<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      // ours (a refused path, a closed file) already say what failed
      if (!(error instanceof Error) || error instanceof JumpstarterError) throw error;
      const failure = opendalFailure(error);
      throw new DriverError(
        `Cannot ${what} in ${this.where}: ${failure.reason} (${failure.kind})`,
        { cause: error },
      );
    }
  }

  #file(fd: string): OpenFile {
    const file = this.#files.get(fd);
    if (!file) {
      throw new InvalidArgumentError(`No file is open with fd ${fd} on this driver`);
    }
    return file;
  }

  async open(path: string, mode: Mode): Promise<string> {
    await this.#checked(path);
    const action = mode === "rb" ? "open for reading" : "open for writing";
    const size = await this.#operator.stat(path).then(
      (metadata) => Number(metadata.contentLength ?? 0n),
      () => undefined,
    );
    const file = await this.#run(
      action,
      path,
      () => OpenFile.open(this.#operator, path, mode, size),
    );
    const fd = crypto.randomUUID();
    this.#files.set(fd, file);
    if (mode === "wb") this.#created.add(normalized(path));
    return fd;
  }

  async fileRead(fd: string, dst: unknown): Promise<void> {
    const file = this.#file(fd);
    await using resource = this.openResource(dst);
    await this.#run("read", file.path, () => file.readInto(resource.writable));
  }

  async fileWrite(fd: string, src: unknown): Promise<void> {
    const file = this.#file(fd);
    await using resource = this.openResource(src);
    await this.#run("write", file.path, () => file.writeFrom(resource.readable));
  }

  fileSeek(fd: string, pos: number, whence = 0): number {
    return this.#file(fd).seek(pos, whence);
  }

  fileTell(fd: string): number {
    return this.#file(fd).tell();
  }

  async fileClose(fd: string): Promise<void> {
    const file = this.#file(fd);
    await this.#run("close", file.path, () => file.close());
  }

  fileClosed(fd: string): boolean {
    return this.#file(fd).closed;
  }

  fileReadable(fd: string): boolean {
    return this.#file(fd).readable;
  }

  fileSeekable(fd: string): boolean {
    return this.#file(fd).seekable;
  }

  fileWritable(fd: string): boolean {
    return this.#file(fd).writable;
  }

  async stat(path: string): Promise<Metadata> {
    await this.#checked(path);
    return metadataOf(await this.#run("stat", path, () => this.#operator.stat(path)));
  }

  async hash(path: string, algo: HashAlgo = "sha256"): Promise<string> {
    await this.#checked(path);
    const digest = createHash(algo);
    await this.#run("hash", path, async () => {
      const reader = await this.#operator.reader(path);
      const buffer = new Uint8Array(CHUNK_SIZE);
      for (;;) {
        const count = Number(await reader.read(buffer));
        if (count === 0) break;
        digest.update(buffer.subarray(0, count));
      }
    });
    return digest.digest("hex");
  }

  async copy(source: string, target: string): Promise<void> {
    await this.#checked(source);
    await this.#checked(target);
    const what = `copy "${source}" to "${target}"`;
    await this.#attempt(what, () => this.#operator.copy(source, target));
    this.#created.add(normalized(target));
  }

  async rename(source: string, target: string): Promise<void> {
    await this.#checked(source);
    await this.#checked(target);
    const what = `rename "${source}" to "${target}"`;
    await this.#attempt(what, () => this.#operator.rename(source, target));
    this.#created.delete(normalized(source));
    this.#created.add(normalized(target));
  }

  async removeAll(path: string): Promise<void> {
    await this.#checked(path);
    await this.#run("remove", path, () => this.#operator.removeAll(path));
    this.#created.delete(normalized(path));
  }

  async createDir(path: string): Promise<void> {
    await this.#checked(path);
    await this.#run("create directory", path, () => this.#operator.createDir(path));
    this.#created.add(normalized(path));
  }

  async delete(path: string): Promise<void> {
    await this.#checked(path);
    await this.#run("delete", path, () => this.#operator.delete(path));
    this.#created.delete(normalized(path));
  }

  async exists(path: string): Promise<boolean> {
    await this.#checked(path);
    return await this.#run("check", path, () => this.#operator.isExist(path));
  }

  async *list(path: string): AsyncGenerator<string> {
    await this.#checked(path);
    const entries = await this.#run("list", path, () => this.#operator.list(path));
    for (const entry of entries) yield entry.path();
  }

  async *scan(path: string): AsyncGenerator<string> {
    await this.#checked(path);
    const entries = await this.#run(
      "scan",
      path,
      () => this.#operator.list(path, { recursive: true }),
    );
    for (const entry of entries) yield entry.path();
  }

  async presignStat(path: string, expireSecond: number): Promise<PresignedRequest> {
    await this.#checked(path);
    const request = () => this.#operator.presignStat(path, expireSecond);
    return presignedRequestOf(await this.#run("presign stat of", path, request));
  }

  async presignRead(path: string, expireSecond: number): Promise<PresignedRequest> {
    await this.#checked(path);
    const request = () => this.#operator.presignRead(path, expireSecond);
    return presignedRequestOf(await this.#run("presign read of", path, request));
  }

  async presignWrite(path: string, expireSecond: number): Promise<PresignedRequest> {
    await this.#checked(path);
    const request = () => this.#operator.presignWrite(path, expireSecond);
    return presignedRequestOf(await this.#run("presign write of", path, request));
  }

  capability(): Capability {
    return capabilityOf(this.#operator.capability());
  }

  /** Paths created in this driver's lifetime (files written, copies, directories), normalized. */
  getCreatedResources(): string[] {
    return [...this.#created].sort();
  }

  /** Records a path created by other means, for `remove_created_on_close`. */
  registerPath(path: string): void {
    this.#created.add(normalized(path));
  }

  /** Closes the files still open (a writer commits what it received). */
  async #closeFiles(): Promise<void> {
    const files = [...this.#files.values()];
    this.#files.clear();
    await Promise.allSettled(files.map((file) => file.close()));
  }

  override async reset(): Promise<void> {
    await this.#closeFiles();
  }

  override async close(): Promise<void> {
    await this.#closeFiles();
    if (!this.removeCreatedOnClose || this.#created.size === 0) return;
    if (this.scheme !== "fs") {
      this.logger.warning(`Cleanup not supported for scheme '${this.scheme}' - only 'fs' is`);
      return;
    }
    await this.#removeCreated();
  }

  async #removeCreated(): Promise<void> {
    // deepest first, so a directory is empty by the time its turn comes
    for (const path of [...this.#created].sort().reverse()) {
      if (path === "") continue;
      try {
        await confineToRoot(this.kwargs.root ?? Deno.cwd(), path);
        const metadata = await this.#operator.stat(path).catch(() => undefined);
        if (metadata?.isDirectory()) await this.#operator.removeAll(`${path}/`);
        else if (metadata) await this.#operator.delete(path);
        this.logger.debug(`Removed created path: ${path}`);
      } catch (error) {
        this.logger.error(`Failed to remove path ${path}: ${opendalFailure(error).reason}`);
      }
    }
    this.#created.clear();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(opendalInterface, this);
  }
}

export const opendalType = defineDriverType({
  name: "Opendal",
  aliases: ["jumpstarter_driver_opendal.driver.Opendal"],
  config: opendalConfigSchema,
  create: (config, options) => new Opendal(config, options),
});
