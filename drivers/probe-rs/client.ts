/** The client of a ProbeRs driver (upstream's `ProbeRsClient`). */
import { z } from "zod";
import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { probeRsInterface } from "./interface.ts";

const { methods } = probeRsInterface;

/** Word widths `read` takes, in bits. */
export type ReadWidth = 8 | 16 | 32 | 64;

/** Runs probe-rs on the exporter: target info, reset, erase, download and memory reads. */
export class ProbeRsClient extends DriverClient {
  /** What probe-rs reports about the target. */
  async info(options: CallOptions = {}): Promise<string> {
    return z.string().parse(await this.invoke(methods.info, [], options));
  }

  /** Resets the target (after a download, to start it). */
  async reset(options: CallOptions = {}): Promise<string> {
    return z.string().parse(await this.invoke(methods.reset_target, [], options));
  }

  /** Erases the target's flash: a slow operation. */
  async erase(options: CallOptions = {}): Promise<string> {
    return z.string().parse(await this.invoke(methods.erase, [], options));
  }

  /** Downloads (flashes) the bytes of `source` to the target; returns what probe-rs printed. */
  async download(source: ReadableStream<Uint8Array>, options: CallOptions = {}): Promise<string> {
    const resource = await this.resource({ source });
    let printed: unknown;
    try {
      printed = await this.invoke(methods.download, [resource.handle], options);
    } catch (error) {
      await source.cancel(error).catch(() => {});
      throw error;
    }
    await resource.done;
    return z.string().parse(printed);
  }

  /** Downloads a local file (an ELF image, as probe-rs expects by default). */
  async downloadFile(path: string, options: CallOptions = {}): Promise<string> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      throw new InvalidArgumentError(`Cannot download ${path}: ${(error as Error).message}`);
    }
    return await this.download(file.readable, options);
  }

  /** Reads `words` words of `width` bits from `address`. */
  async read(
    width: ReadWidth,
    address: number | bigint,
    words: number,
    options: CallOptions = {},
  ): Promise<bigint[]> {
    if (![8, 16, 32, 64].includes(width)) {
      throw new InvalidArgumentError("Width must be one of: 8, 16, 32, 64");
    }
    if (BigInt(address) < 0n) throw new InvalidArgumentError("Address must be non-negative");
    if (!Number.isInteger(words) || words <= 0) {
      throw new InvalidArgumentError("Words must be positive");
    }
    const args = [`b${width}`, `0x${BigInt(address).toString(16)}`, `${words}`] as const;
    const printed = z.array(z.string()).parse(await this.invoke(methods.read, args, options));
    return printed.map((word) => {
      if (!/^[0-9a-fA-F]+$/.test(word)) {
        throw new InvalidArgumentError(`probe-rs printed "${word}", which is no hex word`);
      }
      return BigInt(`0x${word}`);
    });
  }
}
