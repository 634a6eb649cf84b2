/**
 * EnerGenie: one socket of an EnerGenie EG-PMS2-LAN power strip, switched through the strip's
 * web interface (log in with the password, then post the socket's new state).
 */
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { powerInterface, type PowerReading } from "@jumpstarter/driver-power";
import {
  type EnerGenieConfig,
  type EnerGenieConfigInput,
  energenieConfigSchema,
} from "./config.ts";
import { type Answer, postForm } from "./http.ts";

/** Driver options plus the request timeout, which upstream fixes and its config cannot set. */
export interface EnerGenieOptions extends DriverOptions {
  /** Seconds per HTTP request (default 10). */
  timeout?: number;
}

// The device answers a refused login (and a command from a host that is not logged in) with
// status 200 and its login form again; a logged-in page has a "Log Out" link instead.
const PASSWORD_FIELD = /<input\b[^>]*\bname\s*=\s*["']?pw["'\s/>]/i;
const LOG_OUT_LINK = />\s*Log\s*Out\s*</i;

function showsLoginForm(body: string): boolean {
  return PASSWORD_FIELD.test(body) && !LOG_OUT_LINK.test(body);
}

function statusLine(answer: Answer): string {
  return answer.statusText === "" ? `${answer.status}` : `${answer.status} ${answer.statusText}`;
}

/**
 * Switches socket `slot` of the strip at `host`. Unlike upstream, which only logs a failed
 * login or command, `on`/`off` throw so the caller learns that the socket was not switched.
 */
export class EnerGenie extends Driver {
  readonly interface = powerInterface;
  readonly #config: EnerGenieConfig;
  readonly #timeout: number;

  /** @throws {z.ZodError} when `config` is invalid (e.g. a slot outside 1-4). */
  constructor(config: EnerGenieConfigInput, options: EnerGenieOptions = {}) {
    const { timeout = 10, ...driverOptions } = options;
    super(driverOptions);
    this.#config = energenieConfigSchema.parse(config);
    this.#timeout = timeout;
  }

  async #switch(state: 0 | 1): Promise<void> {
    const { host, password, slot } = this.#config;
    const word = state === 1 ? "on" : "off";
    const action = `Cannot switch EnerGenie ${host} slot ${slot} ${word}`;
    const options = { action, timeout: this.#timeout };

    const login = await postForm(`http://${host}/login.html`, { pw: password }, options);
    if (login.status !== 200) {
      throw new DriverError(`${action}: login answered ${statusLine(login)} (expected 200)`);
    }
    if (showsLoginForm(login.body)) {
      throw new DriverError(
        `${action}: login was refused (wrong password, or another host is logged in): ` +
          "the device answered with its login page",
      );
    }
    this.logger.debug(`logged in to ${host}`);

    const command = await postForm(`http://${host}/`, { [`cte${slot}`]: `${state}` }, options);
    if (command.status !== 200) {
      throw new DriverError(
        `${action}: the command cte${slot}=${state} answered ${statusLine(command)} (expected 200)`,
      );
    }
    if (showsLoginForm(command.body)) {
      throw new DriverError(
        `${action}: the device answered the command with its login page ` +
          "(the login did not hold: the session may have timed out)",
      );
    }
    this.logger.info(`power ${word} (slot ${slot})`);
  }

  on(): Promise<void> {
    return this.#switch(1);
  }

  off(): Promise<void> {
    return this.#switch(0);
  }

  // deno-lint-ignore require-yield
  async *read(): AsyncGenerator<PowerReading> {
    throw new MethodNotImplementedError(
      "EnerGenie does not support read (as upstream): the strip only switches sockets",
    );
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(powerInterface, this);
  }
}

export const energenieType = defineDriverType({
  name: "EnerGenie",
  aliases: ["jumpstarter_driver_energenie.driver.EnerGenie"],
  config: energenieConfigSchema,
  create: (config, options) => new EnerGenie(config, options),
});
