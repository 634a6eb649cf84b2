/**
 * Driver types and the registry that maps config `type:` names (our short names and upstream's
 * Python class paths) to them. Each program builds one from the driver packages it ships.
 */
import {
  /** @ignore zod's namespace, documented by zod (re-exporting its types would lint zod's declarations) */
  z,
} from "zod";
import { Composite } from "./composite.ts";
import type { Driver, DriverOptions } from "./driver.ts";

/** How to build one kind of driver from its config entry. */
export interface DriverType<C = unknown> {
  /** Our short name, e.g. `MockPower`. */
  readonly name: string;
  /** Upstream class paths that load as this driver, e.g. `jumpstarter_driver_power.driver.MockPower`. */
  readonly aliases: readonly string[];
  /** Validates the `config:` map (constructor keyword arguments upstream). */
  readonly config: z.ZodType<C>;
  /** Builds the driver from its validated `config:` and the entry's common options. */
  create(config: C, options: DriverOptions): Driver;
}

/**
 * Declares a driver type with its config type inferred from the schema.
 *
 * @example Declaring a driver type
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { Composite, defineDriverType, DriverRegistry } from "@jumpstarter/lib/driver";
 *
 * const shelf = defineDriverType({
 *   name: "Shelf",
 *   aliases: ["my_lab.drivers.Shelf"],
 *   config: z.object({}).strict(),
 *   create: (_config, options) => new Composite(options),
 * });
 * const registry = new DriverRegistry().register(shelf);
 * assert.equal(registry.get("my_lab.drivers.Shelf"), shelf);
 * assert.ok(shelf.create({}, {}) instanceof Composite);
 * ```
 */
export function defineDriverType<S extends z.ZodType>(type: {
  name: string;
  aliases: readonly string[];
  config: S;
  create(config: z.output<S>, options: DriverOptions): Driver;
}): DriverType {
  return type as unknown as DriverType;
}

/** Driver types by every name they answer to. */
export class DriverRegistry {
  readonly #types = new Map<string, DriverType>();

  /**
   * Registers driver types under their name and aliases.
   *
   * @throws {TypeError} when a name or alias already belongs to another type.
   */
  register(...types: DriverType[]): this {
    for (const type of types) {
      for (const name of [type.name, ...type.aliases]) {
        const taken = this.#types.get(name);
        if (taken !== undefined && taken !== type) {
          throw new TypeError(
            `Cannot register driver type "${type.name}": "${name}" already names "${taken.name}"`,
          );
        }
        this.#types.set(name, type);
      }
    }
    return this;
  }

  /** The type registered under `name` (short name or class path), if any. */
  get(name: string): DriverType | undefined {
    return this.#types.get(name);
  }

  /** Distinct registered types, for `jmp driver list`. */
  types(): DriverType[] {
    return [...new Set(this.#types.values())];
  }
}

/** The Composite type every tree's root and `children`-only entries are built from. */
export const compositeType: DriverType = defineDriverType({
  name: "Composite",
  aliases: ["jumpstarter_driver_composite.driver.Composite"],
  config: z.object({}).strict(),
  create: (_config, options) => new Composite(options),
});
