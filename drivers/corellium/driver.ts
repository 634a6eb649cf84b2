/**
 * Corellium: power and console of a Corellium cloud virtual device. The `Corellium` composite
 * holds the API client and two children, `power` (CorelliumPower) and `serial`
 * (CorelliumConsole), as upstream.
 */
import {
  Composite,
  defineDriverType,
  Driver,
  type DriverOptions,
  type DriverType,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { CorelliumApi, type Instance } from "./api.ts";
import {
  type CorelliumConfig,
  corelliumConfigSchema,
  type CorelliumEnvironment,
  corelliumEnvironment,
  type Getenv,
  processEnv,
  waitOptions,
} from "./config.ts";
import {
  corelliumConsoleInterface,
  corelliumInterface,
  corelliumPowerInterface,
} from "./interface.ts";
import { openWebSocketStream, type WebSocketStream } from "./websocket_stream.ts";

/** The root driver: upstream's `Corellium`, reported with `CorelliumClient`. */
export class Corellium extends Composite {
  override readonly interface = corelliumInterface;
  readonly config: CorelliumConfig;
  readonly api: CorelliumApi;
  readonly power: CorelliumPower;
  readonly serial: CorelliumConsole;

  /** Where the API settings and wait options are read from (the process environment by default). */
  readonly getenv: Getenv;

  /** Reads the API host and token from `getenv` (`environment` overrides them). */
  constructor(
    config: CorelliumConfig,
    options: DriverOptions = {},
    getenv: Getenv = processEnv,
    environment: CorelliumEnvironment = corelliumEnvironment(getenv),
  ) {
    super(options);
    this.config = config;
    this.getenv = getenv;
    const caCerts = environment.caFile === undefined
      ? undefined
      : [Deno.readTextFileSync(environment.caFile)];
    this.api = new CorelliumApi(
      environment.host,
      environment.token,
      caCerts ? { caCerts } : {},
    );
    this.power = new CorelliumPower(this);
    this.serial = new CorelliumConsole(this);
    this.addChild("power", this.power);
    this.addChild("serial", this.serial);
  }

  /** The configured project; fails naming it when the API does not list it. */
  async project() {
    const project = await this.api.getProject(this.config.project_id);
    if (project === undefined) {
      throw new DriverError(
        `Unable to fetch project: ${this.config.project_id}`,
      );
    }
    return project;
  }

  /** The configured instance; fails when the API does not list it. */
  async instance(): Promise<Instance> {
    const instance = await this.api.getInstance(this.config.device_name);
    if (instance === undefined) {
      throw new DriverError(
        `Instance does not exist: ${this.config.device_name}`,
      );
    }
    return instance;
  }

  override close(): void {
    this.api[Symbol.dispose]();
  }
}

/** Creates or starts the instance (`on`), stops and optionally deletes it (`off`). */
export class CorelliumPower extends Driver {
  readonly interface = corelliumPowerInterface;
  readonly parent: Corellium;

  constructor(parent: Corellium, options: DriverOptions = {}) {
    super(options);
    this.parent = parent;
  }

  async on(): Promise<void> {
    const { api, config } = this.parent;
    this.logger.info(
      `Corellium device ${config.device_name} (flavor ${config.device_flavor}, OS ${config.device_os})`,
    );
    const project = await this.parent.project();
    const device = await api.getDevice(config.device_flavor);
    if (device === undefined) {
      throw new DriverError(
        `Unable to find a device for this model: ${config.device_flavor}`,
      );
    }
    let instance = await api.getInstance(config.device_name);
    if (instance !== undefined) {
      await api.setInstanceState(instance, "on");
    } else {
      instance = await api.createInstance(
        config.device_name,
        project,
        device,
        config.device_os,
        config.device_build,
      );
    }
    this.logger.info(`Instance: ${config.device_name} (ID: ${instance.id})`);
    await this.#waitFor(instance, "on");
  }

  async off(destroy = false): Promise<void> {
    const api = this.parent.api;
    await this.parent.project();
    const instance = await this.parent.instance();
    await api.setInstanceState(instance, "off");
    await this.#waitFor(instance, "off");
    if (destroy) {
      await api.destroyInstance(instance);
      await this.#waitFor(instance, null);
    }
  }

  read(): never {
    throw new MethodNotImplementedError(
      "Corellium devices have no power readings",
    );
  }

  /** Polls until the instance is in `state` (`null`: no longer listed), as upstream. */
  async #waitFor(instance: Instance, state: string | null): Promise<void> {
    let options;
    try {
      options = waitOptions(this.parent.getenv);
    } catch (error) {
      throw new DriverError((error as Error).message);
    }
    let seen: Instance | undefined;
    for (let attempt = 0; attempt < options.retries; attempt++) {
      if (attempt > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.interval * 1000));
      }
      seen = await this.parent.api.getInstance(instance.id);
      if (
        state === null ? seen === undefined : seen?.id === instance.id && seen.state === state
      ) {
        return;
      }
    }
    const wanted = state === null ? "deleted" : `"${state}"`;
    const last = seen === undefined ? "not listed" : `"${seen.state}"`;
    throw new DriverError(
      `Instance ${instance.id} was not ${wanted} after ${options.retries} checks ` +
        `${options.interval} s apart (last seen: ${last})`,
    );
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(corelliumPowerInterface, this);
  }
}

/** The instance's console over Corellium's websocket, one connection per stream. */
export class CorelliumConsole extends Driver {
  readonly interface = corelliumConsoleInterface;
  readonly parent: Corellium;
  readonly #open = new Set<WebSocketStream>();

  constructor(parent: Corellium, options: DriverOptions = {}) {
    super(options);
    this.parent = parent;
  }

  /** The console's websocket URL, asked from the API each time (it changes per instance). */
  async address(): Promise<string> {
    await this.parent.project();
    const instance = await this.parent.instance();
    const name = this.parent.config.console_name;
    const id = await this.parent.api.getConsoleId(instance, name);
    if (id === undefined) {
      throw new DriverError(`Console ID not found for "${name}"`);
    }
    return await this.parent.api.getConsoleUrl(instance, id);
  }

  async connect(): Promise<ByteStream> {
    const url = await this.address();
    this.logger.info(`Connecting to ${url}`);
    const stream = await openWebSocketStream(url, this.parent.api.httpClient);
    this.#open.add(stream);
    stream.closed.then(() => {
      this.#open.delete(stream);
      this.logger.info(`Disconnected from ${url}`);
    });
    return stream;
  }

  override close(): void {
    for (const stream of this.#open) stream.close();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(corelliumConsoleInterface, this);
  }
}

/** The Corellium driver type reading its settings through `getenv` (tests pass their own). */
export function corelliumTypeReading(getenv: Getenv): DriverType {
  return defineDriverType({
    name: "Corellium",
    aliases: ["jumpstarter_driver_corellium.driver.Corellium"],
    config: corelliumConfigSchema,
    create: (config, options) => new Corellium(config, options, getenv),
  });
}

export const corelliumType = corelliumTypeReading(processEnv);
