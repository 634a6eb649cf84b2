/**
 * Exporter-side storage muxes: `MockStorageMux` and `MockStorageMuxFlasher`, a mux whose medium is
 * a file on the exporter. This module also re-exports the package's other drivers, `Opendal` and
 * `MockFlasher`, so embedders (Tftp, HttpServer) have one exporter-side entry point.
 */
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import type { ResourceHandle } from "@jumpstarter/lib/streams";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { storageMuxFlasherInterface, storageMuxInterface } from "./storage_mux_interface.ts";
import { fileChunks } from "./file_chunks.ts";
import { imageStream } from "./image_stream.ts";
import { removeStaleStaging, writeStaged } from "./staged_file.ts";
import type { MuxState, WriteResult } from "./storage_mux_types.ts";

export { Opendal, type OpendalConfig, opendalType } from "./opendal_driver.ts";
export { OpendalUnavailableError } from "./binding.ts";
export { addFsStorageChild } from "./storage_child.ts";
export { MockFlasher, mockFlasherType } from "./flasher_driver.ts";

/** Config of the file-backed mocks (upstream takes none; both keys are our extensions). */
export const mockStorageMuxConfigSchema = z.object({
  path: z.string().min(1, "path must not be empty").optional(),
  size: z.number().int().positive("size must be a positive number of bytes").optional(),
}).strict();

export type MockStorageMuxConfig = z.infer<typeof mockStorageMuxConfigSchema>;

/** Refuses, at load rather than at the first write, a file in a directory that is not there. */
function assertDirectory(dir: string, what: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch {
    throw new InvalidArgumentError(`Cannot use ${what}: directory ${dir} does not exist`);
  }
  if (!info.isDirectory) {
    throw new InvalidArgumentError(`Cannot use ${what}: ${dir} is not a directory`);
  }
}

/**
 * A storage mux whose medium is a file. `host()`/`dut()`/`off()` switch a state; `write` and
 * `read` are refused while the medium is connected to the DUT, and allowed when it is off or on
 * the host (upstream's mock accepts them in any state, and upstream's `write_local_file` does not
 * switch to the host first). A write replaces the file only once the whole image arrived.
 */
export class MockStorageMux extends Driver {
  readonly interface: typeof storageMuxInterface | typeof storageMuxFlasherInterface =
    storageMuxInterface;
  /** The backing file. */
  readonly path: string;
  /** Capacity in bytes, when configured: images must fit, the file is kept at this size. */
  readonly size: number | undefined;
  /** A temporary directory this driver made for its file, removed on close. */
  readonly #ownedDir: string | undefined;
  #state: MuxState = "off";
  #writing = false;

  constructor(config: MockStorageMuxConfig = {}, options: DriverOptions = {}) {
    super(options);
    if (config.path === undefined) {
      this.#ownedDir = Deno.makeTempDirSync({ prefix: "jmp-storage-mux-" });
      this.path = join(this.#ownedDir, "storage.img");
    } else {
      this.path = resolve(config.path);
      assertDirectory(dirname(this.path), `path ${this.path}`);
      // a write killed mid-way (kill -9 mid-flash) left its staging file: not ours to keep
      for (const stale of removeStaleStaging(this.path)) {
        this.logger.info(`removed ${stale}, left by an interrupted write`);
      }
    }
    this.size = config.size;
  }

  /** Where the medium is connected. */
  get state(): MuxState {
    return this.#state;
  }

  #switch(state: MuxState, message: string): void {
    this.#state = state;
    this.logger.info(message);
  }

  /** Connects the medium to the host. */
  host(): void {
    this.#switch("host", "storage connected to host");
  }

  /** Connects the medium to the DUT. */
  dut(): void {
    this.#switch("dut", "storage connected to dut");
  }

  /** Disconnects the medium. */
  off(): void {
    this.#switch("off", "storage disconnected");
  }

  #refuseOnDut(action: string): void {
    if (this.#state !== "dut") return;
    throw new DriverError(
      `Cannot ${action} storage ${this.path}: it is connected to the DUT; switch it to the host first`,
    );
  }

  /** Creates the backing file (empty, or sparse at `size`) if it does not exist yet. */
  async #ensureFile(): Promise<void> {
    if (this.#ownedDir !== undefined) await Deno.mkdir(this.#ownedDir, { recursive: true });
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.path, { write: true, createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return;
      if (error instanceof Deno.errors.NotFound) {
        throw new DriverError(
          `Cannot create storage file ${this.path}: directory ${dirname(this.path)} does not exist`,
          { cause: error },
        );
      }
      throw error;
    }
    try {
      if (this.size !== undefined) await file.truncate(this.size);
    } finally {
      file.close();
    }
  }

  async write(handle: ResourceHandle, expectedSha256?: string | null): Promise<WriteResult> {
    await using resource = this.openResource(handle);
    this.#refuseOnDut("write to");
    if (this.#writing) {
      throw new DriverError(`Cannot write to storage ${this.path}: another write is in progress`);
    }
    this.#writing = true;
    try {
      await this.#ensureFile();
      const data = await imageStream(handle, resource.readable);
      this.logger.info(`writing image to ${this.path}`);
      const result = await writeStaged(this.path, data, {
        ...(this.size === undefined ? {} : { capacity: this.size }),
        ...(expectedSha256 ? { expectedSha256 } : {}),
      });
      this.logger.info(`wrote ${result.size} bytes (sha256 ${result.sha256}) to ${this.path}`);
      return result;
    } catch (error) {
      this.logger.warning(`write to ${this.path} failed, storage left unchanged: ${error}`);
      throw error;
    } finally {
      this.#writing = false;
    }
  }

  async read(handle: ResourceHandle): Promise<void> {
    await using resource = this.openResource(handle);
    this.#refuseOnDut("read from");
    await this.#ensureFile();
    // an open file keeps its content even if a write renames a new image over it meanwhile
    const file = await Deno.open(this.path, { read: true });
    await fileChunks(file).pipeTo(resource.writable);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(this.interface, this);
  }

  /** A session starts with the medium disconnected. */
  override reset(): void {
    this.#state = "off";
  }

  override async close(): Promise<void> {
    if (this.#ownedDir !== undefined) {
      await Deno.remove(this.#ownedDir, { recursive: true }).catch(() => {});
    }
  }
}

/** The same mock, reported with the flasher client (`flash`/`dump` on top). */
export class MockStorageMuxFlasher extends MockStorageMux {
  override readonly interface = storageMuxFlasherInterface;
}

export const mockStorageMuxType = defineDriverType({
  name: "MockStorageMux",
  aliases: ["jumpstarter_driver_opendal.driver.MockStorageMux"],
  config: mockStorageMuxConfigSchema,
  create: (config, options) => new MockStorageMux(config, options),
});

export const mockStorageMuxFlasherType = defineDriverType({
  name: "MockStorageMuxFlasher",
  aliases: ["jumpstarter_driver_opendal.driver.MockStorageMuxFlasher"],
  config: mockStorageMuxConfigSchema,
  create: (config, options) => new MockStorageMuxFlasher(config, options),
});
