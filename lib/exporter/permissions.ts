/**
 * The Deno grants an exporter config implies: each driver entry's, from the grants its package
 * declares for its type, with its config validated as the driver tree validates it.
 *
 * @module
 */
import {
  type DriverPackage,
  driverRegistryOf,
  type Grants,
  type GrantsOf,
  mergeGrants,
} from "@jumpstarter/lib/driver";
import {
  ConfigError,
  type DriverInstance,
  type ExporterConfig,
  formatField,
  type HookInstance,
} from "@jumpstarter/lib/config";
import { interpreter } from "./hooks.ts";
import { driverRuntimeDir } from "./confined_grants.ts";

/** One driver entry's grants. */
export interface DriverGrants {
  /** Dotted path from `export:`, e.g. `board.power`. */
  readonly path: string;
  /** The `type:` as written. */
  readonly type: string;
  /** Its grants; undefined when its type declares none (it then needs `-A`). */
  readonly grants?: Grants;
}

/** The grants of a whole config. */
export interface ConfigGrants {
  /** One row per driver entry, in file order (proxies and plain Composites left out). */
  readonly drivers: readonly DriverGrants[];
  /** The grants of each configured hook (`beforeLease`, `afterLease`). */
  readonly hooks: readonly { readonly name: string; readonly grants: Grants }[];
  /** The union of every driver's and hook's grants and reading the config file itself. */
  readonly grants: Grants;
  /** Whether some driver's type declares no grants, so the exporter needs `-A`. */
  readonly undeclared: boolean;
}

const PROXY_TYPES = new Set(["Proxy", "jumpstarter_driver_composite.driver.Proxy"]);
const COMPOSITE_TYPES = new Set(["Composite", "jumpstarter_driver_composite.driver.Composite"]);

/**
 * The grants of `config`'s drivers, for an exporter whose session sockets go in `socketDir` (and
 * so its drivers' runtime directories, see {@linkcode driverRuntimeDir}).
 *
 * @throws {ConfigError} naming file, line and field of an unknown type or an invalid driver config.
 */
export function configGrants(
  config: ExporterConfig,
  packages: readonly DriverPackage[],
  socketDir: string,
): ConfigGrants {
  const registry = driverRegistryOf(packages);
  const declared = new Map<string, GrantsOf>();
  for (const pkg of packages) {
    for (const [name, grantsOf] of Object.entries(pkg.grants ?? {})) declared.set(name, grantsOf);
  }
  const drivers: DriverGrants[] = [];
  const visit = (children: ReadonlyMap<string, DriverInstance>) => {
    for (const instance of children.values()) {
      if (instance.kind === "proxy") continue;
      if (instance.kind === "driver" && !PROXY_TYPES.has(instance.type)) {
        const path = instance.path.filter((_, i) => i % 2 === 1).join(".");
        const type = registry.get(instance.type);
        if (!type) {
          throw errorAt(config, instance.path, `Unknown driver type "${instance.type}"`, ["type"]);
        }
        const parsed = type.config.safeParse(instance.config);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          // an unknown key is pointed at itself, anything else at the offending value
          const unknownKey = issue.code === "unrecognized_keys" ? issue.keys[0] : undefined;
          const field = ["config", ...issue.path.map(String)];
          throw errorAt(
            config,
            instance.path,
            `Invalid config for driver "${instance.type}": ${issue.message}`,
            unknownKey === undefined ? field : [...field, unknownKey],
            unknownKey === undefined ? "value" : "key",
          );
        }
        const grantsOf = COMPOSITE_TYPES.has(instance.type) ? () => ({}) : declared.get(type.name);
        drivers.push({
          path,
          type: instance.type,
          ...(grantsOf
            ? {
              grants: grantsOf(parsed.data, {
                runtimeDir: driverRuntimeDir(socketDir, instance.path),
                children: [...instance.children.keys()],
              }),
            }
            : {}),
        });
      }
      visit(
        instance.kind === "driver" || instance.kind === "composite" ? instance.children : new Map(),
      );
    }
  };
  visit(config.export);
  const own: Grants = { read: [config.path] };
  const hooks = Object.entries(config.hooks).flatMap(([name, hook]) =>
    hook === null ? [] : [{ name, grants: hookGrants(hook) }]
  );
  return {
    drivers,
    hooks,
    grants: mergeGrants([
      own,
      ...hooks.map((hook) => hook.grants),
      ...drivers.flatMap((driver) => driver.grants ?? []),
    ]),
    undeclared: drivers.some((driver) => driver.grants === undefined),
  };
}

/**
 * Running its interpreter, and its script when that is a file (what the script does is its own).
 * The bare `--allow-run`, not the interpreter alone: a hook past its timeout is stopped by
 * signalling its process group, which Deno allows only with the bare flag (as Shell's scripts:
 * measured in `tests/confined_consoles_test.ts`).
 */
function hookGrants(hook: HookInstance): Grants {
  const { args } = interpreter(hook);
  return args[0] === "-c" ? { run: true } : { run: true, read: [args[0]!] };
}

function errorAt(
  config: ExporterConfig,
  path: readonly string[],
  reason: string,
  field: readonly string[],
  at: "value" | "key" = "value",
) {
  const full = [...path, ...field];
  const { file, line, column } = config.locate(full, at);
  return new ConfigError(reason, { file, line, column, field: formatField(full) });
}
