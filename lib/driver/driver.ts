/**
 * The Driver base class: one node of an exporter's driver tree.
 */
import type { DriverInterface, ExportedMethod } from "./interface.ts";
import { Logger, type Severity } from "./logger.ts";
import { openResource, type Resource, ResourceTable } from "./resource.ts";

/** Options every driver accepts from its config entry. */
export interface DriverOptions {
  /** The config entry's `labels:`, reported with the driver (the client and name labels win). */
  labels?: Record<string, string>;
  /** The config entry's `description:`; replaces the interface's description in the report. */
  description?: string;
  /** Per-method help by wire name, overriding the descriptors' own (`methods_description:`). */
  methodsDescription?: Record<string, string>;
  /** Upstream's `log_level`: the driver's records below it are dropped. */
  logLevel?: Severity;
  /**
   * Reports a config key upstream accepts that means nothing here; the exporter logs it once,
   * located in the config file.
   */
  ignoreConfigKey?: (key: string, reason: string) => void;
  /**
   * A confined exporter's private directory for this driver's sockets and state, the one its
   * grants were computed for (`GrantsContext.runtimeDir`); unset when serving unconfined. Claim it
   * with `claimRuntimeDir`.
   */
  runtimeDir?: string;
}

/**
 * A driver instance. Subclasses declare their `interface` (client class path and method
 * descriptors) and return the bound implementations from `exportedMethods()`.
 *
 * Lifecycle: the hosting session calls `reset()` on every driver when it opens and `close()`
 * when it ends (parents before children on reset, the reverse on close).
 */
export abstract class Driver {
  /** Random v4 UUID, new for every instance (and so for every session). */
  readonly uuid: string = crypto.randomUUID();
  /** Children in config order; a proxy entry maps a name to a driver that lives elsewhere. */
  readonly children: Map<string, Driver> = new Map();
  /** Labels from the config entry (a copy); `buildReport` adds the client and name. */
  readonly labels: Record<string, string>;
  /** The config's description, or undefined to report the interface's own. */
  readonly description: string | undefined;
  /** Method help from the config, by wire name; it overrides the descriptors' descriptions. */
  readonly methodsDescription: Record<string, string>;
  /**
   * This driver's logger, named `driver.<ClassName>`; the hosting session routes its records to
   * the exporter's LogStream.
   */
  readonly logger: Logger;
  /** Resource streams clients opened on this driver, waiting to be claimed by handle. */
  readonly resources: ResourceTable = new ResourceTable();
  #methods: Map<string, ExportedMethod> | undefined;

  /** The interface this driver implements: its client class path and method descriptors. */
  abstract readonly interface: DriverInterface;

  /** Takes the common options of the config entry; subclasses add their own `config:` keys. */
  constructor(options: DriverOptions = {}) {
    this.labels = { ...options.labels };
    this.description = options.description;
    this.methodsDescription = { ...options.methodsDescription };
    this.logger = new Logger(`driver.${this.constructor.name}`);
    if (options.logLevel !== undefined) this.logger.level = options.logLevel;
  }

  /** The methods this driver exports, bound to it; called once, on first use. */
  protected abstract exportedMethods(): Map<string, ExportedMethod>;

  /** Labels a driver adds to its report (e.g. a kind), below the client and name labels. */
  extraLabels(): Record<string, string> {
    return {};
  }

  /** Looks up an exported method by its wire name. */
  method(name: string): ExportedMethod | undefined {
    this.#methods ??= this.exportedMethods();
    return this.#methods.get(name);
  }

  /** Names of all exported methods. */
  methodNames(): string[] {
    this.#methods ??= this.exportedMethods();
    return [...this.#methods.keys()];
  }

  /**
   * Claims the resource named by a handle received as a call argument. Use with `await using`
   * so the stream is released when the method is done.
   */
  protected openResource(handle: unknown): Resource {
    return openResource(this.resources, handle);
  }

  /** Adds a child under `name`. */
  addChild(name: string, driver: Driver): void {
    if (this.children.has(name)) throw new TypeError(`Cannot add child "${name}": name is taken`);
    this.children.set(name, driver);
  }

  /** Brings the device to its default state at session start. */
  reset(): Promise<void> | void {}

  /** Releases what the driver holds at session end. */
  close(): Promise<void> | void {}
}

/** Every distinct driver of a tree, parents before children (proxies visited once). */
export function uniqueDrivers(root: Driver): Driver[] {
  const seen = new Set<Driver>();
  const order: Driver[] = [];
  const visit = (driver: Driver) => {
    if (seen.has(driver)) return;
    seen.add(driver);
    order.push(driver);
    for (const child of driver.children.values()) visit(child);
  };
  visit(root);
  return order;
}
