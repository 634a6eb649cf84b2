/**
 * Builds the driver tree of an exporter config: the root Composite, one driver per `type:` entry,
 * Composites for `children`-only entries, and proxies (`ref:`) resolved against the root.
 */
import type { Driver, DriverOptions, DriverRegistry } from "@jumpstarter/lib/driver";
import {
  ConfigError,
  type DriverInstance,
  type DriverInstanceDriver,
  type ExporterConfig,
  formatField,
} from "@jumpstarter/lib/config";
import { driverRuntimeDir, SOCKET_DIR_VARIABLE } from "./confined_grants.ts";

const COMPOSITE = "Composite";
const PROXY_TYPES = new Set(["Proxy", "jumpstarter_driver_composite.driver.Proxy"]);

/** Options of {@linkcode buildDriverTree}. */
export interface BuildOptions {
  /** Driver types by config `type:` name: the program's, from `driverRegistryOf(packages)`. */
  registry: DriverRegistry;
  /**
   * Receives each config warning (keys accepted but meaning nothing here), once per config;
   * default: stderr, prefixed `Warning: `.
   */
  warn?: (message: string) => void;
  /**
   * A confined exporter's socket directory: each driver is given its runtime directory below it
   * (the one its grants name). Default: `JMP_EXPORTER_SOCKET_DIR`, unset when not confined.
   */
  socketDir?: string;
}

/** Configs whose warnings were already given: a tree is built again for every lease. */
const warnedConfigs = new WeakSet<ExporterConfig>();

interface PendingProxy {
  parent: Driver;
  name: string;
  ref: string;
  instance: DriverInstance;
}

function errorAt(
  config: ExporterConfig,
  instance: DriverInstance,
  reason: string,
  field: string[] = [],
  at: "value" | "key" = "value",
) {
  const path = [...instance.path, ...field];
  const { file, line, column } = field.length ? config.locate(path, at) : instance.source;
  return new ConfigError(reason, { file, line, column, field: formatField(path) });
}

function composite(registry: DriverRegistry, options: DriverOptions): Driver {
  const type = registry.get(COMPOSITE);
  if (!type) throw new TypeError("Cannot build a driver tree: no Composite driver is registered");
  return type.create({}, options);
}

/**
 * Instantiates every driver of `config`. Drivers already created are closed again when a later
 * entry fails, so a bad config leaves nothing running.
 *
 * @throws {ConfigError} naming the file, line, column and field of an unknown driver type,
 *   an invalid driver config, a driver that failed to start, or a dangling `ref`.
 */
export async function buildDriverTree(
  config: ExporterConfig,
  options: BuildOptions,
): Promise<Driver> {
  const { registry } = options;
  const socketDir = options.socketDir ?? Deno.env.get(SOCKET_DIR_VARIABLE);
  const warnings = [...config.warnings];
  const created: Driver[] = [];
  const proxies: PendingProxy[] = [];

  const build = (instance: DriverInstanceDriver): Driver => {
    const type = registry.get(instance.type);
    if (!type) throw errorAt(config, instance, `Unknown driver type "${instance.type}"`, ["type"]);
    const parsed = type.config.safeParse(instance.config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      // point an unknown key at the key itself, anything else at the offending value
      const unknownKey = issue.code === "unrecognized_keys" ? issue.keys[0] : undefined;
      const field = ["config", ...issue.path.map(String)];
      throw errorAt(
        config,
        instance,
        `Invalid config for driver "${instance.type}": ${issue.message}`,
        unknownKey === undefined ? field : [...field, unknownKey],
        unknownKey === undefined ? "value" : "key",
      );
    }
    const driverOptions: DriverOptions = {
      methodsDescription: { ...instance.methods_description },
      ...(instance.description === undefined ? {} : { description: instance.description }),
      ...(instance.logLevel === undefined ? {} : { logLevel: instance.logLevel }),
      ...(socketDir ? { runtimeDir: driverRuntimeDir(socketDir, instance.path) } : {}),
      ignoreConfigKey: (key, reason) => {
        const ignored = `Ignoring "${key}" (${reason})`;
        const error = errorAt(config, instance, ignored, ["config", key], "key");
        warnings.push(error.message);
      },
    };
    try {
      return type.create(parsed.data, driverOptions);
    } catch (error) {
      throw errorAt(
        config,
        instance,
        `Cannot start driver "${instance.type}": ${(error as Error).message}`,
      );
    }
  };

  const attach = (parent: Driver, children: ReadonlyMap<string, DriverInstance>) => {
    for (const [name, instance] of children) {
      if (instance.kind === "proxy") {
        proxies.push({ parent, name, ref: instance.ref, instance });
        continue;
      }
      if (instance.kind === "driver" && PROXY_TYPES.has(instance.type)) {
        const ref = instance.config.ref;
        if (typeof ref !== "string" || ref === "") {
          throw errorAt(config, instance, "A Proxy needs a non-empty string ref", [
            "config",
            "ref",
          ]);
        }
        proxies.push({ parent, name, ref, instance });
        continue;
      }
      const driver = instance.kind === "driver" ? build(instance) : composite(registry, {});
      created.push(driver);
      parent.addChild(name, driver);
      attach(driver, instance.children);
    }
  };

  const root = composite(
    registry,
    config.description === null ? {} : { description: config.description },
  );
  created.push(root);
  try {
    attach(root, config.export);
    attachProxies(config, root, proxies);
    if (!warnedConfigs.has(config)) {
      warnedConfigs.add(config);
      const warn = options.warn ?? ((message) => console.error(`Warning: ${message}`));
      for (const message of warnings) warn(message);
    }
  } catch (error) {
    for (const driver of created.reverse()) await Promise.resolve(driver.close()).catch(() => {});
    throw error;
  }
  return root;
}

/**
 * Adds every proxy where its config put it. A proxy may name another proxy, so they are resolved
 * in rounds; proxies left when a round makes no progress name each other in a cycle.
 */
function attachProxies(config: ExporterConfig, root: Driver, proxies: PendingProxy[]): void {
  let pending = proxies;
  while (pending.length > 0) {
    const waiting: PendingProxy[] = [];
    for (const proxy of pending) {
      const target = resolveRef(config, root, proxy, pending);
      if (target === undefined) waiting.push(proxy);
      else proxy.parent.addChild(proxy.name, target);
    }
    if (waiting.length === pending.length) {
      const first = waiting[0]!;
      const cycle = waiting.map((proxy) => exportName(proxy.instance)).join(", ");
      throw errorAt(
        config,
        first.instance,
        `Reference "${first.ref}" is part of a cycle (${cycle})`,
        [
          "ref",
        ],
      );
    }
    pending = waiting;
  }
}

/** The driver `proxy` names; `undefined` while its path runs through a proxy not yet attached. */
function resolveRef(
  config: ExporterConfig,
  root: Driver,
  proxy: PendingProxy,
  pending: readonly PendingProxy[],
): Driver | undefined {
  let node = root;
  for (const part of proxy.ref.split(".")) {
    const next = node.children.get(part);
    if (next) {
      node = next;
      continue;
    }
    const parent = node;
    if (pending.some((other) => other.parent === parent && other.name === part)) return undefined;
    throw errorAt(config, proxy.instance, `Reference "${proxy.ref}" names no driver`, ["ref"]);
  }
  return node;
}

/** `board.power` for the instance at `export.board.children.power`. */
function exportName(instance: DriverInstance): string {
  return instance.path.filter((_part, index) => index % 2 === 1).join(".");
}
