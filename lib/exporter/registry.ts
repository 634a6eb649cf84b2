/**
 * The driver registry: maps config `type:` names (upstream Python class paths and our short
 * names) to driver factories. Each program fills it statically through imports.
 */
import { z } from "zod";
import { Composite, type Driver, type DriverOptions } from "@jumpstarter/lib/driver";

/** How to build one kind of driver from its config entry. */
export interface DriverType<C = unknown> {
  /** Our short name, e.g. `MockPower`. */
  readonly name: string;
  /** Upstream class paths that load as this driver, e.g. `jumpstarter_driver_power.driver.MockPower`. */
  readonly aliases: readonly string[];
  /** Validates the `config:` map (constructor keyword arguments upstream). */
  readonly config: z.ZodType<C>;
  create(config: C, options: DriverOptions): Driver;
}

/** Declares a driver type with its config type inferred from the schema. */
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

  /** Registers driver types under their name and aliases. */
  register(...types: DriverType[]): this {
    for (const type of types) {
      for (const name of [type.name, ...type.aliases]) this.#types.set(name, type);
    }
    return this;
  }

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

/**
 * The process-wide registry, holding Composite from the start; driver packages register their
 * types here when imported.
 */
export const defaultDriverRegistry: DriverRegistry = new DriverRegistry().register(compositeType);
