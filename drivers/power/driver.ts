/**
 * Exporter-side power drivers: the mocks that let people try the tool with no hardware.
 */
import { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { powerInterface } from "./interface.ts";
import type { PowerReading } from "./types.ts";

/** Virtual power switch: logs `power on`/`power off`, tracks its state, yields two readings. */
export class MockPower extends Driver {
  readonly interface = powerInterface;
  /** Current state; `undefined` until first switched. */
  state: "on" | "off" | undefined;

  constructor(options: DriverOptions = {}) {
    super(options);
  }

  on(): void {
    this.state = "on";
    this.logger.info("power on");
  }

  off(): void {
    this.state = "off";
    this.logger.info("power off");
  }

  async *read(): AsyncGenerator<PowerReading> {
    yield { voltage: 0, current: 0 };
    yield { voltage: 5, current: 2 };
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(powerInterface, this);
  }
}

/** Upstream's synchronous mock; identical on the wire. */
export class SyncMockPower extends MockPower {}

export const mockPowerType = defineDriverType({
  name: "MockPower",
  aliases: ["jumpstarter_driver_power.driver.MockPower"],
  config: z.object({}).strict(),
  create: (_config, options) => new MockPower(options),
});

export const syncMockPowerType = defineDriverType({
  name: "SyncMockPower",
  aliases: ["jumpstarter_driver_power.driver.SyncMockPower"],
  config: z.object({}).strict(),
  create: (_config, options) => new SyncMockPower(options),
});
