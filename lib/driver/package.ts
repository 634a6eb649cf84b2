/**
 * One descriptor per driver package: its driver types (with upstream's class paths as aliases),
 * its client classes and their `j` commands. A program lists the packages it ships once; the
 * driver registry, the client registry and the CLI table are all built from that list, so a
 * package has no import side effects and a clash of names fails at start.
 */
import { compositeType, DriverRegistry, type DriverType } from "./registry.ts";
import type { Grants, GrantsContext, GrantsOf } from "./permissions.ts";

/** A client class (a `DriverClient` subclass; structural here, as `lib/driver` sits below it). */
// deno-lint-ignore no-explicit-any
export type ClientClassLike = abstract new (...args: any[]) => object;

/** Builds the `j NAME ...` command group of one client (a commander `Command`). */
// deno-lint-ignore no-explicit-any
export type CliBuilderLike = (client: any, name: string, context: any) => unknown;

/** One client class of a package: the upstream class paths it answers to, and its CLI. */
export interface ClientEntry {
  /** Upstream client class paths, as reported in `jumpstarter.dev/client`. */
  readonly classPaths: readonly string[];
  /** The class `buildClientTree` instantiates for drivers reporting one of `classPaths`. */
  readonly client: ClientClassLike;
  /** Its `j` commands; a subclass without one uses its nearest ancestor's. */
  readonly cli?: CliBuilderLike;
}

/** What a driver package exports from its `mod.ts` as `driverPackage`. */
export interface DriverPackage {
  /** The package name, e.g. `@jumpstarter/driver-power`. */
  readonly name: string;
  /** Exporter-side driver types (may be empty for a client-only package). */
  readonly driverTypes: readonly DriverType[];
  /** Client classes the package provides (a driver-only package may list none). */
  readonly clients: readonly ClientEntry[];
  /**
   * The Deno grants each driver type's config implies, by type name (`jmp-exporter permissions`);
   * a type left out needs `-A`.
   */
  readonly grants?: Readonly<Record<string, GrantsOf>>;
}

/**
 * Declares a driver package.
 *
 * @example A package with one driver type and its client
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import {
 *   Composite,
 *   defineDriverType,
 *   definePackage,
 *   driverRegistryOf,
 * } from "@jumpstarter/lib/driver";
 *
 * class ShelfClient {}
 * export const driverPackage = definePackage({
 *   name: "@my-lab/driver-shelf",
 *   driverTypes: [
 *     defineDriverType({
 *       name: "Shelf",
 *       aliases: ["my_lab.driver.Shelf"],
 *       config: z.object({}).strict(),
 *       create: (_config, options) => new Composite(options),
 *     }),
 *   ],
 *   clients: [{ classPaths: ["my_lab.client.ShelfClient"], client: ShelfClient }],
 * });
 * const registry = driverRegistryOf([driverPackage]);
 * assert.equal(registry.get("my_lab.driver.Shelf")?.name, "Shelf");
 * ```
 */
export function definePackage(pkg: DriverPackage): DriverPackage {
  return pkg;
}

/**
 * The grants `pkg` declares for its type `name` with the raw `config` (parsed by the type's
 * schema, defaults filled in), in `context` but with no children: for a driver that makes one of
 * another package's drivers itself. Undefined when the type declares none.
 *
 * @throws {Error} when `pkg` has no type `name`, or `config` does not parse.
 */
export function grantsOfType(
  pkg: DriverPackage,
  name: string,
  config: unknown,
  context: GrantsContext,
): Grants | undefined {
  const type = pkg.driverTypes.find((candidate) => candidate.name === name);
  if (!type) throw new Error(`Package ${pkg.name} has no driver type "${name}"`);
  return pkg.grants?.[name]?.(type.config.parse(config), { ...context, children: [] });
}

/**
 * The driver registry of a program: Composite plus every package's types.
 *
 * @throws {TypeError} when two packages claim the same type name or class path.
 */
export function driverRegistryOf(packages: readonly DriverPackage[]): DriverRegistry {
  const registry = new DriverRegistry().register(compositeType);
  for (const pkg of packages) {
    try {
      registry.register(...pkg.driverTypes);
    } catch (error) {
      throw new TypeError(`Cannot load driver package ${pkg.name}: ${(error as Error).message}`);
    }
  }
  return registry;
}

/**
 * Client classes by upstream class path, from every package.
 *
 * @throws {TypeError} when two packages claim the same client class path.
 */
export function clientEntriesOf(
  packages: readonly DriverPackage[],
): Map<string, ClientEntry & { package: string }> {
  const entries = new Map<string, ClientEntry & { package: string }>();
  for (const pkg of packages) {
    for (const entry of pkg.clients) {
      for (const classPath of entry.classPaths) {
        const taken = entries.get(classPath);
        if (taken !== undefined && taken.client !== entry.client) {
          throw new TypeError(
            `Cannot load driver package ${pkg.name}: client "${classPath}" is already ` +
              `provided by ${taken.package}`,
          );
        }
        entries.set(classPath, { ...entry, package: pkg.name });
      }
    }
  }
  return entries;
}

/** The CLI builder for `client`: its own class's, else its nearest ancestor's. */
export function cliBuilderOf(
  packages: readonly DriverPackage[],
  client: object,
): CliBuilderLike | undefined {
  const builders = new Map<unknown, CliBuilderLike>();
  for (const pkg of packages) {
    for (const entry of pkg.clients) if (entry.cli) builders.set(entry.client, entry.cli);
  }
  for (let proto = Object.getPrototypeOf(client); proto; proto = Object.getPrototypeOf(proto)) {
    const builder = builders.get(proto.constructor);
    if (builder) return builder;
  }
  return undefined;
}
