/**
 * `Ykush` (upstream `jumpstarter_driver_yepkit.driver.Ykush`): one port (or all) of a Yepkit
 * YKUSH hub as a power switch. `reset()` applies the `default` state when a session opens.
 */
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type DriverType,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { nodeUsbBackend, type UsbBackend } from "@jumpstarter/lib/usb";
import { MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { powerInterface, type PowerReading } from "@jumpstarter/driver-power";
import { YkushHubs } from "./hub.ts";
import { type Port, PORT_DOWN, PORT_UP, PORTS } from "./protocol.ts";

const DEFAULTS = ["on", "off", "keep"] as const;

/** The `config:` keys, as upstream's. */
export interface YkushConfig {
  /** The hub's serial number; the first hub found when null (with a warning). */
  serial: string | null;
  /** `"1"`, `"2"`, `"3"` or `"all"`. */
  port: Port;
  /** What `reset()` does when a session opens: switch `on`, `off`, or `keep` the state. */
  default: (typeof DEFAULTS)[number];
}

export const ykushConfigSchema: z.ZodType<YkushConfig, unknown> = z.object({
  serial: z.string().min(1).nullable().default(null),
  port: z.enum(PORTS, {
    error: `The ykush driver port must be any of the following values: ${PORTS.join(", ")}`,
  }).default("all"),
  default: z.enum(DEFAULTS, {
    error: `The ykush driver default must be any of the following values: ${DEFAULTS.join(", ")}`,
  }).default("off"),
}).strict();

export class Ykush extends Driver {
  readonly interface = powerInterface;
  readonly config: YkushConfig;
  readonly #hubs: YkushHubs;
  #serial: string | null;

  constructor(hubs: YkushHubs, config: YkushConfig, options: DriverOptions = {}) {
    super(options);
    this.#hubs = hubs;
    this.config = config;
    this.#serial = config.serial;
  }

  async #send(command: number, what: string): Promise<void> {
    const serial = await this.#hubs.send(this.#serial, command, what);
    if (this.#serial === null) {
      this.logger.warning(
        `No serial number provided for ykush, using the first one found: ${serial}`,
      );
      this.#serial = serial;
    }
  }

  /** `Ykush YK25838`, as upstream logs it (`Ykush` until a hub was found). */
  #name(): string {
    return this.#serial === null ? "Ykush" : `Ykush ${this.#serial}`;
  }

  async on(): Promise<void> {
    this.logger.info(`Power ON for ${this.#name()} on port ${this.config.port}`);
    await this.#send(PORT_UP[this.config.port], `port ${this.config.port} on`);
  }

  async off(): Promise<void> {
    this.logger.info(`Power OFF for ${this.#name()} on port ${this.config.port}`);
    await this.#send(PORT_DOWN[this.config.port], `port ${this.config.port} off`);
  }

  // deno-lint-ignore require-yield
  async *read(): AsyncGenerator<PowerReading> {
    throw new MethodNotImplementedError(
      "Ykush does not support read (as upstream): the hub only switches ports",
    );
  }

  /** Applies `default`; a hub that is not there is logged, the session still opens. */
  override async reset(): Promise<void> {
    if (this.config.default === "keep") return;
    try {
      await (this.config.default === "on" ? this.on() : this.off());
    } catch (error) {
      this.logger.warning(
        `cannot apply default "${this.config.default}": ${(error as Error).message}`,
      );
    }
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(powerInterface, this);
  }
}

/** The Ykush driver type; every driver it builds shares the hubs of `usb`. */
export function ykushDriverType(usb: UsbBackend): DriverType {
  const hubs = new YkushHubs(usb);
  return defineDriverType({
    name: "Ykush",
    aliases: ["jumpstarter_driver_yepkit.driver.Ykush"],
    config: ykushConfigSchema,
    create: (config, options) => new Ykush(hubs, config, options),
  });
}

/** The driver type on the exporter's own machine (USB through npm `usb`, loaded when used). */
export const ykushType: DriverType = ykushDriverType(nodeUsbBackend());
