/**
 * `serve(driver)`: runs a driver in an in-process session on a private Unix socket and returns
 * its client, so driver tests exercise the real client <-> exporter path.
 */
import type { Driver, DriverPackage } from "@jumpstarter/lib/driver";
import {
  type ClientClass,
  type ClientRegistry,
  clientRegistryOf,
  type DriverClient,
  type ExporterHandle,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import {
  privateSocketPath,
  serveSession,
  /** @ignore documented by `@jumpstarter/lib/exporter`, outside the modules linted here */
  Session,
  /** @ignore documented by `@jumpstarter/lib/exporter`, outside the modules linted here */
  type SessionOptions,
} from "@jumpstarter/lib/exporter";

/** A served driver: its typed client, the session behind it, and cleanup. */
export interface Served<T extends DriverClient> extends AsyncDisposable {
  /** The root client: an instance of the `kind` passed to {@linkcode serve}, when one was. */
  readonly client: T;
  /** The in-process exporter session hosting the driver (reset on open, closed by `close()`). */
  readonly session: Session;
  /** The socket path, usable as `JUMPSTARTER_HOST`. */
  readonly address: string;
  /** The client side: connection, report and client tree. */
  readonly handle: ExporterHandle;
  /** Disconnects, stops the server, closes the session (and its drivers), removes the socket. */
  close(): Promise<void>;
}

/** Options of {@linkcode serve}. */
export interface ServedOptions extends SessionOptions {
  /**
   * Client classes by class path. Default: `clientRegistryOf(packages)`, with `kind` under the
   * root driver's client class unless a package already provides one there.
   */
  registry?: ClientRegistry;
  /**
   * Driver packages whose clients the tree may use (children of a served composite, say);
   * ignored with `registry`. Default: none, so only `CompositeClient` and `kind` are known.
   */
  packages?: readonly DriverPackage[];
  /** Told about each driver that gets a generic client (unknown client class). */
  onWarning?: (message: string) => void;
}

/**
 * Serves `driver` as the root of a session and connects a client to it, with every client class
 * allowed. With `kind`, the root client is a `kind` (the root's reported client class loads as
 * `kind` unless `registry` or `packages` say otherwise) and is checked to be one.
 *
 * @throws {TypeError} when the root client is not a `kind` (say, `registry` lacks its class).
 *
 * @example Testing a driver through its client
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { defineInterface, Driver, exportMethods, unary } from "@jumpstarter/lib/driver";
 * import { DriverClient } from "@jumpstarter/lib/client";
 * import { serve } from "@jumpstarter/lib/testing";
 *
 * const counterInterface = defineInterface({
 *   client: "my_lab.client.CounterClient",
 *   methods: { add: unary([z.number().int()]) },
 * });
 *
 * class Counter extends Driver {
 *   readonly interface = counterInterface;
 *   total = 0;
 *   add(amount: number) {
 *     return this.total += amount;
 *   }
 *   protected exportedMethods() {
 *     return exportMethods(counterInterface, this);
 *   }
 * }
 *
 * class CounterClient extends DriverClient {
 *   async add(amount: number): Promise<number> {
 *     return Number(await this.invoke(counterInterface.methods.add, [amount]));
 *   }
 * }
 *
 * await using served = await serve(new Counter(), CounterClient);
 * assert.equal(await served.client.add(2), 2);
 * assert.equal(await served.client.add(3), 5);
 * ```
 */
export async function serve<T extends DriverClient = DriverClient>(
  driver: Driver,
  kind?: abstract new (...args: never[]) => T,
  options: ServedOptions = {},
): Promise<Served<T>> {
  const session = new Session(driver, options);
  await session.open();
  const { path, dir } = await privateSocketPath();
  const server = await serveSession(session, path);
  let handle: ExporterHandle | undefined;
  const close = async () => {
    handle?.close();
    await server.close();
    await session.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    handle = await openExporter(path, {
      policy: UNSAFE_POLICY,
      registry: options.registry ?? defaultRegistry(driver, kind, options.packages ?? []),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    if (kind && !(handle.root instanceof kind)) {
      throw new TypeError(
        `Cannot serve as ${kind.name}: the root client is "${handle.root.clientClass}"`,
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    client: handle.root as T,
    session,
    address: path,
    handle,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The clients of `packages`, and `kind` for the root's client class when none provides one. */
function defaultRegistry(
  driver: Driver,
  kind: (abstract new (...args: never[]) => DriverClient) | undefined,
  packages: readonly DriverPackage[],
): ClientRegistry {
  const registry = clientRegistryOf(packages);
  const rootClass = driver.interface.client;
  if (kind && registry.get(rootClass) === undefined) {
    registry.register(kind as unknown as ClientClass, rootClass);
  }
  return registry;
}
