/**
 * The ProbeRs driver: flashes and inspects a microcontroller through the `probe-rs` CLI, as
 * upstream's `jumpstarter_driver_probe_rs.driver.ProbeRs`.
 */
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError } from "@jumpstarter/lib/wire";
import { type ProbeRsConfig, probeRsConfigSchema, probeRsEnvironment } from "./config.ts";
import { probeRsInterface } from "./interface.ts";
import { ProbeRsRunner } from "./runner.ts";

/** Runs probe-rs subcommands with the probe, chip and protocol of its config. */
export class ProbeRs extends Driver {
  readonly interface = probeRsInterface;
  readonly #runner: ProbeRsRunner;

  constructor(config: ProbeRsConfig, options: DriverOptions = {}) {
    super(options);
    this.#runner = new ProbeRsRunner(
      config.probe_rs_path,
      probeRsEnvironment(config),
      this.logger,
    );
  }

  /** `probe-rs info`: what the probe sees of the target. */
  info(): Promise<string> {
    return this.#runner.run(["info"]);
  }

  /** `probe-rs reset`. */
  resetTarget(): Promise<string> {
    return this.#runner.run(["reset"]);
  }

  /** `probe-rs erase`: the whole flash. */
  erase(): Promise<string> {
    return this.#runner.run(["erase"]);
  }

  /** Spools the client's file to a temporary file, then `probe-rs download FILE`. */
  async download(handle: unknown): Promise<string> {
    const file = await Deno.makeTempFile({ prefix: "jumpstarter-probe-rs-" });
    try {
      {
        await using resource = this.openResource(handle);
        const sink = await Deno.open(file, { write: true, truncate: true });
        try {
          await resource.readable.pipeTo(sink.writable);
        } catch (error) {
          throw new DriverError(`Cannot receive the file to download: ${(error as Error).message}`);
        }
      }
      return await this.#runner.run(["download", file]);
    } finally {
      await Deno.remove(file).catch(() => {});
    }
  }

  /** `probe-rs read WIDTH ADDRESS WORDS`: the words it prints, as hex strings. */
  async read(width: string, address: string, words: string): Promise<string[]> {
    const printed = await this.#runner.run(["read", width, address, words]);
    return printed.trim().split(/\s+/).filter(Boolean);
  }

  override close(): Promise<void> {
    return this.#runner.close();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(probeRsInterface, this);
  }
}

export const probeRsType = defineDriverType({
  name: "ProbeRs",
  aliases: ["jumpstarter_driver_probe_rs.driver.ProbeRs"],
  config: probeRsConfigSchema,
  create: (config, options) => new ProbeRs(config, options),
});
