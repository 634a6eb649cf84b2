/**
 * The client registry: maps upstream client class paths to our client classes. Each program
 * fills one statically (no dynamic imports, so `deno compile` sees every module).
 */
import { clientEntriesOf, type DriverPackage } from "@jumpstarter/lib/driver";
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
 * The client registry of a program: every client class of `packages` under the upstream class
 * paths it answers to.
 *
 * @throws {TypeError} when two packages claim the same client class path.
 */
export function clientRegistryOf(packages: readonly DriverPackage[]): ClientRegistry {
  const registry = new ClientRegistry();
  for (const [classPath, entry] of clientEntriesOf(packages)) {
    registry.register(entry.client as ClientClass, classPath);
  }
  return registry;
}

/**
 * The process-wide registry. Each driver package's client module registers its classes here when
 * imported, so importing a typed client is enough to have it used for matching reports.
 */
export const defaultClientRegistry: ClientRegistry = new ClientRegistry();
