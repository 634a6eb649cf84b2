/**
 * The client registry: maps upstream client class paths to our client classes. Each program
 * fills one statically (no dynamic imports, so `deno compile` sees every module).
 */
import { clientEntriesOf, compositeInterface, type DriverPackage } from "@jumpstarter/lib/driver";
import { CompositeClient } from "./composite_client.ts";
import { type ClientInit, DriverClient } from "./driver_client.ts";

/** A client class constructor. */
export type ClientClass = new (init: ClientInit) => DriverClient;

/** Client classes by upstream class path. */
export class ClientRegistry {
  readonly #classes = new Map<string, ClientClass>();

  /** Registers `kind` for each of the given class paths. */
  register(kind: ClientClass, ...classPaths: string[]): this {
    for (const path of classPaths) this.#classes.set(path, kind);
    return this;
  }

  /** The class registered for `classPath`, if any. */
  get(classPath: string): ClientClass | undefined {
    return this.#classes.get(classPath);
  }

  /** All registered class paths. */
  classPaths(): string[] {
    return [...this.#classes.keys()];
  }
}

export { DriverClient };

/**
 * The client registry of a program: `CompositeClient` (every tree's root), then every client
 * class of `packages` under the upstream class paths it answers to.
 *
 * @throws {TypeError} when two packages claim the same client class path.
 */
export function clientRegistryOf(packages: readonly DriverPackage[]): ClientRegistry {
  const registry = new ClientRegistry().register(CompositeClient, compositeInterface.client);
  for (const [classPath, entry] of clientEntriesOf(packages)) {
    registry.register(entry.client as ClientClass, classPath);
  }
  return registry;
}
