/**
 * Upstream's `MockFlasher`: a FlasherInterface driver that keeps one file per partition in a
 * temporary directory (`default` when the call names none).
 */
import { join } from "node:path";
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { fileChunks } from "./file_chunks.ts";
import { flasherInterface } from "./opendal_interface.ts";
import { writeStaged } from "./staged_file.ts";

const DEFAULT_PARTITION = "default";

/** A flasher whose partitions are files; images are streamed, never held in memory. */
export class MockFlasher extends Driver {
  readonly interface = flasherInterface;
  /** Where the partition files live (removed on close). */
  readonly directory: string;

  constructor(options: DriverOptions = {}) {
    super(options);
    this.directory = Deno.makeTempDirSync({ prefix: "jmp-mock-flasher-" });
  }

  /** The file of `partition`; names are single path components. */
  partitionPath(partition?: string | null): string {
    const name = partition ?? DEFAULT_PARTITION;
    if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
      throw new InvalidArgumentError(
        `Invalid partition "${name}": it must be a plain name (no "/", not "." or "..")`,
      );
    }
    return join(this.directory, name);
  }

  /** Writes the image the resource `source` sends into `partition`; returns nothing, as upstream. */
  async flash(source: unknown, partition?: string | null): Promise<void> {
    const path = this.partitionPath(partition);
    await using resource = this.openResource(source);
    const result = await writeStaged(path, resource.readable, {});
    this.logger.info(
      `flashed ${result.size} bytes (sha256 ${result.sha256}) to partition ${
        partition ?? DEFAULT_PARTITION
      }`,
    );
  }

  /** Sends the content of `partition` into the resource `target`. */
  async dump(target: unknown, partition?: string | null): Promise<void> {
    const path = this.partitionPath(partition);
    await using resource = this.openResource(target);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new DriverError(
        `Cannot dump partition ${partition ?? DEFAULT_PARTITION}: nothing was flashed to it`,
      );
    }
    await fileChunks(file).pipeTo(resource.writable);
  }

  override async close(): Promise<void> {
    await Deno.remove(this.directory, { recursive: true }).catch(() => {});
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(flasherInterface, this);
  }
}

export const mockFlasherType = defineDriverType({
  name: "MockFlasher",
  aliases: ["jumpstarter_driver_opendal.driver.MockFlasher"],
  config: z.object({}).strict(),
  create: (_config, options) => new MockFlasher(options),
});
