/**
 * HttpPower: a power switch driven by configurable HTTP requests (smart plugs and PDUs with a
 * REST or form API). Takes upstream's config (`power_on`, `power_off`, ...) or our richer one.
 */
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { powerInterface, type PowerReading } from "@jumpstarter/driver-power";
import { z } from "zod";
import {
  type HttpPowerConfig,
  type HttpPowerConfigInput,
  httpPowerConfigSchema,
  type RequestSpec,
} from "./config.ts";
import { fromUpstreamForm, isUpstreamForm } from "./upstream_config.ts";
import { type Answer, send } from "./request.ts";
import { parseReading } from "./reading.ts";

/** A parsed config of either form, and the device name upstream's form may give. */
export class HttpPowerSettings {
  constructor(readonly config: HttpPowerConfig, readonly name: string | undefined) {}
}

/** Either config form: upstream's (recognised by `power_on`...) or ours. */
export const anyHttpPowerConfigSchema: z.ZodType<HttpPowerSettings, Record<string, unknown>> = z
  .record(z.string(), z.unknown()).transform(
    (raw, context): HttpPowerSettings => {
      if (isUpstreamForm(raw)) {
        const upstream = fromUpstreamForm(raw);
        if (upstream.success) return new HttpPowerSettings(upstream.config, upstream.name);
        for (const issue of upstream.issues) context.addIssue({ ...issue });
        return z.NEVER;
      }
      const ours = httpPowerConfigSchema.safeParse(raw);
      if (ours.success) return new HttpPowerSettings(ours.data, undefined);
      for (const issue of ours.error.issues) context.addIssue({ ...issue });
      return z.NEVER;
    },
  );

/** Switches power with the `on`/`off` requests and reads it with the optional `read` request. */
export class HttpPower extends Driver {
  readonly interface = powerInterface;
  readonly #config: HttpPowerConfig;
  /** What log messages call the device (upstream's `name`). */
  readonly #name: string | undefined;

  /**
   * @param config ours, upstream's form (`power_on`, `power_off`, `power_read`, `auth.basic`),
   *   or settings parsed already
   * @throws {z.ZodError} when `config` is invalid.
   */
  constructor(
    config: HttpPowerSettings | HttpPowerConfigInput | Record<string, unknown>,
    options: DriverOptions = {},
  ) {
    super(options);
    const settings = config instanceof HttpPowerSettings
      ? config
      : anyHttpPowerConfigSchema.parse(config);
    this.#config = settings.config;
    this.#name = settings.name;
  }

  #logSwitched(state: string): void {
    this.logger.info(this.#name === undefined ? `power ${state}` : `power ${state}: ${this.#name}`);
  }

  #send(spec: RequestSpec, action: string): Promise<Answer> {
    return send(spec, { action, auth: this.#config.auth, timeout: this.#config.timeout });
  }

  async on(): Promise<void> {
    await this.#send(this.#config.on, "Cannot power on");
    this.#logSwitched("on");
  }

  async off(): Promise<void> {
    await this.#send(this.#config.off, "Cannot power off");
    this.#logSwitched("off");
  }

  /** Yields one reading per call, taken from the `read` request's answer. */
  async *read(): AsyncGenerator<PowerReading> {
    const spec = this.#config.read;
    const action = "Cannot read power";
    if (spec === undefined) {
      // upstream (head) raises ValueError here, which its exporter sends as INVALID_ARGUMENT
      throw new InvalidArgumentError(`${action}: no read request is configured`);
    }
    const answer = await this.#send(spec, action);
    yield parseReading(answer.body, spec.parse, action);
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(powerInterface, this);
  }
}

export const httpPowerType = defineDriverType({
  name: "HttpPower",
  aliases: ["jumpstarter_driver_http_power.driver.HttpPower"],
  config: anyHttpPowerConfigSchema,
  create: (settings, options) => new HttpPower(settings, options),
});
