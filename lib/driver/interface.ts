/**
 * Driver interfaces: the contract shared by a driver and its client (the upstream client class
 * path reported in `jumpstarter.dev/client`, and the exported method descriptors).
 */
import type { ArgSchemas, ArgsOf, MethodDescriptor } from "./method.ts";

/** Method descriptors of an interface, by wire name (upstream's snake_case method name). */
export type MethodTable = Readonly<Record<string, MethodDescriptor>>;

/** A driver interface: its upstream client class path and its methods. */
export interface DriverInterface<M extends MethodTable = MethodTable> {
  /** Fully-qualified upstream Python client class, e.g. `jumpstarter_driver_power.client.PowerClient`. */
  readonly client: string;
  readonly description?: string;
  readonly methods: M;
}

/** Declares a driver interface; a helper that keeps the method table's literal types. */
export function defineInterface<const M extends MethodTable>(
  iface: DriverInterface<M>,
): DriverInterface<M> {
  return iface;
}

type Awaitable<T> = T | Promise<T>;

type Implementation<D> = D extends MethodDescriptor<infer A extends ArgSchemas, infer K>
  ? K extends "unary" ? (...args: ArgsOf<A>) => Awaitable<unknown>
  : K extends "server_streaming" ? (...args: ArgsOf<A>) => AsyncIterable<unknown>
  : () => Awaitable<ReadableWritablePair<Uint8Array, Uint8Array>>
  : never;

/** The functions a driver must provide for every method of an interface. */
export type Implementations<M extends MethodTable> = { [K in keyof M]: Implementation<M[K]> };

/** A method ready for dispatch: its descriptor and the bound function. */
export interface ExportedMethod {
  readonly descriptor: MethodDescriptor;
  readonly call: (...args: unknown[]) => unknown;
}

/** Binds implementations to an interface's descriptors: the table a driver exports. */
export function exportMethods<M extends MethodTable>(
  iface: DriverInterface<M>,
  implementations: Implementations<M>,
): Map<string, ExportedMethod> {
  const table = new Map<string, ExportedMethod>();
  for (const [name, descriptor] of Object.entries(iface.methods)) {
    const call = (implementations as Record<string, (...args: unknown[]) => unknown>)[name];
    if (typeof call !== "function") {
      throw new TypeError(`Cannot export method "${name}": no implementation was given`);
    }
    table.set(name, { descriptor, call });
  }
  return table;
}
