/**
 * HttpPower: a power switch driven by configurable HTTP requests (smart plugs and PDUs with a
 * REST or form API). Our own driver; upstream Jumpstarter has none.
 */
import {
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { defaultDriverRegistry, defineDriverType } from "@jumpstarter/lib/exporter";
import { MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { powerInterface, type PowerReading } from "@jumpstarter/driver-power";
import {
  type HttpPowerConfig,
  type HttpPowerConfigInput,
  httpPowerConfigSchema,
  type RequestSpec,
} from "./config.ts";
import { type Answer, send } from "./request.ts";
import { parseReading } from "./reading.ts";

/** Switches power with the `on`/`off` requests and reads it with the optional `read` request. */
export class HttpPower extends Driver {
  readonly interface = powerInterface;
  readonly #config: HttpPowerConfig;

  /** @throws {z.ZodError} when `config` is invalid. */
  constructor(config: HttpPowerConfigInput, options: DriverOptions = {}) {
    super(options);
    this.#config = httpPowerConfigSchema.parse(config);
  }

  #send(spec: RequestSpec, action: string): Promise<Answer> {
    return send(spec, { action, auth: this.#config.auth, timeout: this.#config.timeout });
  }

  async on(): Promise<void> {
    await this.#send(this.#config.on, "Cannot power on");
    this.logger.info("power on");
  }

  async off(): Promise<void> {
    await this.#send(this.#config.off, "Cannot power off");
    this.logger.info("power off");
  }

  /** Yields one reading per call, taken from the `read` request's answer. */
  async *read(): AsyncGenerator<PowerReading> {
    const spec = this.#config.read;
    const action = "Cannot read power";
    if (spec === undefined) {
      throw new MethodNotImplementedError(`${action}: no read request is configured`);
    }
    const answer = await this.#send(spec, action);
    yield parseReading(answer.body, spec.parse, action);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(powerInterface, {
      on: () => this.on(),
      off: () => this.off(),
      read: () => this.read(),
    });
  }
}

export const httpPowerType = defineDriverType({
  name: "HttpPower",
  aliases: ["jumpstarter_driver_http_power.driver.HttpPower"],
  config: httpPowerConfigSchema,
  create: (config, options) => new HttpPower(config, options),
});

defaultDriverRegistry.register(httpPowerType);
