/**
 * Exporter-side gpiod drivers: `DigitalOutput`, `DigitalInput` and `PowerSwitch`, each holding
 * one line of a GPIO chip from its creation (as upstream requests it in `__post_init__`) until
 * its session closes. The chip is reached through {@linkcode GpioSyscalls}: libc's by default.
 */
import {
  defineDriverType,
  Driver,
  type DriverInterface,
  type DriverOptions,
  type DriverType,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverTimeoutError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import type { PowerReading } from "@jumpstarter/driver-power";
import {
  type DigitalInputConfig,
  digitalInputConfigSchema,
  type DigitalOutputConfig,
  digitalOutputConfigSchema,
  inputSettings,
  outputSettings,
  powerSwitchConfigSchema,
} from "./config.ts";
import {
  digitalInputInterface,
  digitalOutputInterface,
  powerSwitchInterface,
} from "./interface.ts";
import { GpioLine, type LineAddress } from "./line.ts";
import type { GpioSyscalls } from "./syscalls.ts";
import type { LineEvent, LineSettings } from "./uapi.ts";

/** Upstream's PinState on the wire: 1 active, 0 inactive. */
export type PinValue = 0 | 1;

const STATE_NAMES = ["inactive", "active"] as const;

/** A driver holding one requested line. */
export abstract class GpioLineDriver extends Driver {
  protected readonly line: GpioLine;
  readonly address: LineAddress;

  constructor(
    sys: GpioSyscalls,
    address: LineAddress,
    settings: LineSettings,
    options: DriverOptions,
  ) {
    super(options);
    this.address = address;
    this.line = new GpioLine(sys, address, settings);
    this.logger.debug(
      `${this.describeLine()} settings: ${JSON.stringify(settings)}`,
    );
  }

  /** `line 18 (GPIO18)`, as upstream's log lines name it. */
  protected describeLine(): string {
    return `line ${this.address.line} (${this.line.name})`;
  }

  /** The pin's logical state: 1 active, 0 inactive. */
  readPin(): PinValue {
    return this.line.value();
  }

  override async close(): Promise<void> {
    await this.line.close();
  }
}

/** One GPIO output, switched on (active) and off (inactive). */
export class DigitalOutput extends GpioLineDriver {
  readonly interface: DriverInterface = digitalOutputInterface;

  constructor(
    sys: GpioSyscalls,
    config: DigitalOutputConfig,
    options: DriverOptions = {},
  ) {
    super(sys, config, outputSettings(config), options);
  }

  #set(value: PinValue, verb: string): void {
    this.line.setValue(value);
    this.logger.info(
      `${this.describeLine()} ${verb}() -> pin reads: ${STATE_NAMES[this.readPin()]}`,
    );
  }

  on(): void {
    this.#set(1, "on");
  }

  off(): void {
    this.#set(0, "off");
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(digitalOutputInterface, this);
  }
}

/** Seconds as upstream counts them: null or 0 mean no limit (`timeout or 1e9`). */
function deadlineOf(timeout: number | null | undefined): number | undefined {
  return timeout ? performance.now() + timeout * 1000 : undefined;
}

/** One GPIO input with both edges detected: read, or waited on. */
export class DigitalInput extends GpioLineDriver {
  readonly interface = digitalInputInterface;

  constructor(
    sys: GpioSyscalls,
    config: DigitalInputConfig,
    options: DriverOptions = {},
  ) {
    super(sys, config, inputSettings(config), options);
  }

  async #waitForEdge(
    edge: LineEvent["edge"],
    deadline: number | undefined,
  ): Promise<void> {
    if (!await this.line.waitForEdge(edge, deadline)) {
      throw new DriverTimeoutError(
        `Timed out waiting for line ${this.address.line} edge event`,
      );
    }
  }

  /** Returns at once when active, else waits for a rising edge. */
  async waitForActive(timeout?: number | null): Promise<void> {
    const deadline = deadlineOf(timeout);
    if (this.readPin() === 1) return;
    await this.#waitForEdge("rising", deadline);
  }

  /** Returns at once when inactive, else waits for a falling edge. */
  async waitForInactive(timeout?: number | null): Promise<void> {
    const deadline = deadlineOf(timeout);
    if (this.readPin() === 0) return;
    await this.#waitForEdge("falling", deadline);
  }

  async waitForEdge(
    edgeType: LineEvent["edge"],
    timeout?: number | null,
  ): Promise<void> {
    await this.#waitForEdge(edgeType, deadlineOf(timeout));
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(digitalInputInterface, this);
  }
}

/** A power switch on a GPIO output; it cannot measure, so `read` is UNIMPLEMENTED (upstream). */
export class PowerSwitch extends DigitalOutput {
  override readonly interface = powerSwitchInterface;

  // deno-lint-ignore require-yield
  async *read(): AsyncGenerator<PowerReading> {
    throw new MethodNotImplementedError(
      "PowerSwitch cannot read power: it only switches a line",
    );
  }

  protected override exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(powerSwitchInterface, this);
  }
}

/** The gpiod driver types, reaching chips through `sys`. */
export function gpiodDriverTypes(sys: GpioSyscalls): DriverType[] {
  return [
    defineDriverType({
      name: "DigitalOutput",
      aliases: ["jumpstarter_driver_gpiod.driver.DigitalOutput"],
      config: digitalOutputConfigSchema,
      create: (config, options) => new DigitalOutput(sys, config, options),
    }),
    defineDriverType({
      name: "DigitalInput",
      aliases: ["jumpstarter_driver_gpiod.driver.DigitalInput"],
      config: digitalInputConfigSchema,
      create: (config, options) => new DigitalInput(sys, config, options),
    }),
    defineDriverType({
      name: "PowerSwitch",
      aliases: ["jumpstarter_driver_gpiod.driver.PowerSwitch"],
      config: powerSwitchConfigSchema,
      create: ({ mode: _unused, ...config }, options) => new PowerSwitch(sys, config, options),
    }),
  ];
}
