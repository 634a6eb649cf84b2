/**
 * The seed's `jumpstarter_driver_raspberrypi` drivers (gpiozero), the gpiod package's ancestor:
 * their class paths and `pin` config load here, on the same GPIO lines (`/dev/gpiochip0`, where
 * a Raspberry Pi's BCM numbers are line offsets), with gpiozero's behaviour: an output starts as
 * an input (pulled down) and turns output on its first on/off; an input is pulled down, and its
 * waits return without error when their time is up.
 */
import {
  defineDriverType,
  type DriverOptions,
  type DriverType,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { type RaspberryPiConfig, raspberryPiConfigSchema } from "./config.ts";
import { GpioLineDriver } from "./driver.ts";
import { raspberryPiInputInterface, raspberryPiOutputInterface } from "./interface.ts";
import type { GpioSyscalls } from "./syscalls.ts";
import type { LineSettings } from "./uapi.ts";

/** The chip a Raspberry Pi's header pins are on. */
export const RASPBERRY_PI_CHIP = "/dev/gpiochip0";

const PULLED_DOWN_INPUT: LineSettings = {
  direction: "input",
  activeLow: false,
  bias: "pull_down",
  drive: "push_pull",
  edges: false,
};

/** gpiozero's DigitalOutputDevice on a pin that starts as an InputDevice. */
export class RaspberryPiDigitalOutput extends GpioLineDriver {
  readonly interface = raspberryPiOutputInterface;
  #output = false;

  constructor(
    sys: GpioSyscalls,
    config: RaspberryPiConfig,
    options: DriverOptions = {},
  ) {
    super(
      sys,
      { device: RASPBERRY_PI_CHIP, line: config.pin },
      PULLED_DOWN_INPUT,
      options,
    );
  }

  #set(value: 0 | 1): void {
    if (this.#output) {
      this.line.setValue(value);
      return;
    }
    // the first switch turns the pin into an output already at the value asked for
    this.line.reconfigure({
      ...PULLED_DOWN_INPUT,
      direction: "output",
      bias: "as_is",
      outputValue: value,
    });
    this.#output = true;
  }

  on(): void {
    this.#set(1);
  }

  off(): void {
    this.#set(0);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(raspberryPiOutputInterface, this);
  }
}

/** gpiozero's DigitalInputDevice: pulled down; `timeout` null waits for ever, 0 not at all. */
export class RaspberryPiDigitalInput extends GpioLineDriver {
  readonly interface = raspberryPiInputInterface;

  constructor(
    sys: GpioSyscalls,
    config: RaspberryPiConfig,
    options: DriverOptions = {},
  ) {
    super(
      sys,
      { device: RASPBERRY_PI_CHIP, line: config.pin },
      { ...PULLED_DOWN_INPUT, edges: true },
      options,
    );
  }

  async #waitFor(
    value: 0 | 1,
    timeout: number | null | undefined,
  ): Promise<void> {
    const deadline = timeout == null ? undefined : performance.now() + timeout * 1000;
    if (this.readPin() === value) return;
    const arrived = await this.line.waitForEdge(
      value === 1 ? "rising" : "falling",
      deadline,
    );
    if (!arrived) {
      this.logger.debug(`${this.describeLine()}: no edge within ${timeout} s`);
    }
  }

  waitForActive(timeout?: number | null): Promise<void> {
    return this.#waitFor(1, timeout);
  }

  waitForInactive(timeout?: number | null): Promise<void> {
    return this.#waitFor(0, timeout);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(raspberryPiInputInterface, this);
  }
}

/** The seed's raspberrypi driver types, reaching the chip through `sys`. */
export function raspberryPiDriverTypes(sys: GpioSyscalls): DriverType[] {
  return [
    defineDriverType({
      name: "RaspberryPiDigitalOutput",
      aliases: ["jumpstarter_driver_raspberrypi.driver.DigitalOutput"],
      config: raspberryPiConfigSchema,
      create: (config, options) => new RaspberryPiDigitalOutput(sys, config, options),
    }),
    defineDriverType({
      name: "RaspberryPiDigitalInput",
      aliases: ["jumpstarter_driver_raspberrypi.driver.DigitalInput"],
      config: raspberryPiConfigSchema,
      create: (config, options) => new RaspberryPiDigitalInput(sys, config, options),
    }),
  ];
}
