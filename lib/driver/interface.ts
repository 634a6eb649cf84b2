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
  /** What the driver is, reported when the config entry gives no `description:` of its own. */
  readonly description?: string;
  /** The exported methods by wire name; the exporter dispatches only to these. */
  readonly methods: M;
}

/** A method descriptor that carries its wire name, as {@linkcode defineInterface} returns them. */
export type NamedMethod<D extends MethodDescriptor = MethodDescriptor, N extends string = string> =
  & D
  & { readonly name: N };

/** An interface's method table with each descriptor named after its key. */
export type NamedMethods<M extends MethodTable> = {
  readonly [K in keyof M & string]: NamedMethod<M[K], K>;
};

/**
 * Declares a driver interface. Each method descriptor gets its wire name, so a client can call
 * `iface.methods.on` and the compiler checks the name and the arguments.
 *
 * @example A power switch interface
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineInterface, streaming, unary } from "@jumpstarter/lib/driver";
 *
 * const switchInterface = defineInterface({
 *   client: "my_lab.client.SwitchClient",
 *   methods: {
 *     on: unary([]),
 *     read_state: streaming([]),
 *   },
 * });
 * assert.equal(switchInterface.methods.read_state.name, "read_state");
 * assert.equal(switchInterface.methods.on.kind, "unary");
 * ```
 */
export function defineInterface<const M extends MethodTable>(
  iface: DriverInterface<M>,
): DriverInterface<NamedMethods<M>> {
  const methods = Object.fromEntries(
    Object.entries(iface.methods).map(([name, method]) => [name, { ...method, name }]),
  ) as NamedMethods<M>;
  return { ...iface, methods };
}

/**
 * The function that implements one method descriptor: a unary method returns (or resolves to)
 * its result, a server-streaming one yields items, a byte-stream one opens a byte pair.
 */
export type Implementation<D> = D extends MethodDescriptor<infer A extends ArgSchemas, infer K>
  ? K extends "unary" ? (...args: ArgsOf<A>) => unknown | Promise<unknown>
  : K extends "server_streaming" ? (...args: ArgsOf<A>) => AsyncIterable<unknown>
  : () =>
    | ReadableWritablePair<Uint8Array, Uint8Array>
    | Promise<ReadableWritablePair<Uint8Array, Uint8Array>>
  : never;

/** The functions a driver must provide for every method of an interface, by wire name. */
export type Implementations<M extends MethodTable> = { [K in keyof M]: Implementation<M[K]> };

/** `read_state` as a TypeScript method name: `readState`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** The same functions as {@linkcode Implementations}, named in camelCase (a driver's methods). */
export type BoundImplementations<M extends MethodTable> = {
  [K in keyof M & string as CamelCase<K>]: Implementation<M[K]>;
};

/** A method ready for dispatch: its descriptor and the bound function. */
export interface ExportedMethod {
  /** The declared kind and argument schemas (the exporter validates calls against them). */
  readonly descriptor: MethodDescriptor;
  /** The implementation, already bound to its driver; takes the parsed arguments. */
  readonly call: (...args: unknown[]) => unknown;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * Binds implementations to an interface's descriptors: the table a driver exports. The
 * implementations are either keyed by wire name, or (usually the driver itself) have a method
 * for each wire name in camelCase: `read_state` is `readState`.
 *
 * @example A driver exporting its own methods
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineInterface, Driver, exportMethods, unary } from "@jumpstarter/lib/driver";
 *
 * const lampInterface = defineInterface({
 *   client: "my_lab.client.LampClient",
 *   methods: { turn_on: unary([]) },
 * });
 *
 * class Lamp extends Driver {
 *   readonly interface = lampInterface;
 *   lit = false;
 *   turnOn() {
 *     this.lit = true;
 *   }
 *   protected exportedMethods() {
 *     return exportMethods(lampInterface, this);
 *   }
 * }
 *
 * const lamp = new Lamp();
 * await lamp.method("turn_on")!.call();
 * assert.equal(lamp.lit, true);
 * assert.deepEqual(lamp.methodNames(), ["turn_on"]);
 * ```
 */
export function exportMethods<M extends MethodTable>(
  iface: DriverInterface<M>,
  implementations: Implementations<M> | BoundImplementations<M>,
): Map<string, ExportedMethod> {
  const source = implementations as Record<string, unknown>;
  const table = new Map<string, ExportedMethod>();
  for (const [name, descriptor] of Object.entries(iface.methods)) {
    const call = source[name] ?? source[camelCase(name)];
    if (typeof call !== "function") {
      throw new TypeError(
        `Cannot export method "${name}": no implementation "${name}" or "${camelCase(name)}"`,
      );
    }
    table.set(name, { descriptor, call: call.bind(implementations) });
  }
  return table;
}
