/**
 * DriverClient: the client-side counterpart of one driver, calling its methods over a session.
 */
import type * as grpc from "@grpc/grpc-js";
import type {
  /** @ignore zod's namespace, documented by zod (re-exporting its types would lint zod's) */
  z,
} from "zod";
import {
  type ArgSchemas,
  CLIENT_LABEL,
  type MethodDescriptor,
  type NamedMethod,
} from "@jumpstarter/lib/driver";
import { fromValue, type JsonValue, toValue } from "@jumpstarter/lib/wire";
import {
  ACCEPT_ENCODING_KEY,
  /** @ignore documented by `@jumpstarter/lib/streams` */
  type ContentEncoding,
  decodeStream,
  FAST_PATH_OFFER_KEY,
  FAST_PATH_REQUEST_KEY,
  fastPathDisabled,
  openPeerStream,
  REQUEST_KEY,
  RESOURCE_KEY,
  /** @ignore documented by `@jumpstarter/lib/streams` */
  type ResourceHandle,
  resourceHandleSchema,
  resourceStreamRequest,
} from "@jumpstarter/lib/streams";
import type { Connection } from "./connection.ts";
import { callError, type CallOptions, grpcCallOptions } from "./call_options.ts";
import { type DriverStream, openDriverStream } from "./driver_stream.ts";

/** What every client is built from: one entry of the report plus the shared connection. */
export interface ClientInit {
  /** The driver's uuid from the report; every call is addressed to it. */
  uuid: string;
  /** Export name under the parent (`jumpstarter.dev/name`); empty for the root. */
  name: string;
  /** The driver's reported labels, including `jumpstarter.dev/client`. */
  labels: Record<string, string>;
  /** The driver's reported description, if any. */
  description: string | undefined;
  /** Per-method help from the report, by wire name. */
  methodsDescription: Record<string, string>;
  /** The session connection all clients of the tree share. */
  connection: Connection;
}

/** The arguments a client passes for a method: what its schemas accept. */
export type InputArgs<D> = D extends MethodDescriptor<infer A extends ArgSchemas>
  ? { [I in keyof A]: z.input<A[I]> }
  : never;

/** A unary method of an interface, named by {@linkcode defineInterface}. */
export type UnaryMethod = NamedMethod<MethodDescriptor<ArgSchemas, "unary">>;
/** A server-streaming method of an interface. */
export type StreamingMethod = NamedMethod<MethodDescriptor<ArgSchemas, "server_streaming">>;

/** An omitted optional argument is not sent (`undefined` would arrive as null). */
function withoutTrailingUndefined(args: readonly unknown[]): unknown[] {
  let length = args.length;
  while (length > 0 && args[length - 1] === undefined) length--;
  return args.slice(0, length);
}

/**
 * Options of {@linkcode DriverClient.resource}: `signal` cancels the transfer, `timeoutMs` bounds
 * it from opening to the end of both directions.
 */
export interface ResourceOptions extends CallOptions {
  /** Bytes to send to the driver (an upload); none means an empty upload. */
  source?: ReadableStream<Uint8Array>;
  /** Where bytes the driver writes back go (a download); none means they are discarded. */
  sink?: WritableStream<Uint8Array>;
  /** How `source` is encoded (e.g. a `.xz` image); the exporter decodes it. */
  encoding?: ContentEncoding | null;
}

/** An open client-side resource: its handle to pass as an argument, and the transfer. */
export interface ClientResource {
  /** Pass this as the resource argument of a call on the same driver. */
  readonly handle: ResourceHandle;
  /** Settles when both directions have ended; rejects if the transfer broke. */
  readonly done: Promise<void>;
}

/**
 * A generic driver client: `call` and `streamingCall` reach any exported method. Typed clients
 * subclass it and wrap {@linkcode DriverClient.invoke} calls on their interface's descriptors.
 * `buildClientTree` creates one per driver of the report, of the class registered for its
 * `jumpstarter.dev/client` label. Failed calls reject with the error the exporter's status maps
 * to (`DriverError`, `InvalidArgumentError`, `DriverTimeoutError`, ...).
 *
 * @example A typed client for a lamp driver
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { defineInterface, Driver, exportMethods, unary } from "@jumpstarter/lib/driver";
 * import { ClientRegistry, DriverClient } from "@jumpstarter/lib/client";
 * import { InvalidArgumentError } from "@jumpstarter/lib/wire";
 * import { serve } from "@jumpstarter/lib/testing";
 *
 * const lampInterface = defineInterface({
 *   client: "my_lab.client.LampClient",
 *   methods: { set_brightness: unary([z.number().min(0).max(100)]), brightness: unary() },
 * });
 *
 * class Lamp extends Driver {
 *   readonly interface = lampInterface;
 *   percent = 0;
 *   setBrightness(percent: number) {
 *     this.percent = percent;
 *   }
 *   brightness() {
 *     return this.percent;
 *   }
 *   protected exportedMethods() {
 *     return exportMethods(lampInterface, this);
 *   }
 * }
 *
 * class LampClient extends DriverClient {
 *   async setBrightness(percent: number): Promise<void> {
 *     await this.invoke(lampInterface.methods.set_brightness, [percent], { timeoutMs: 5000 });
 *   }
 *   async brightness(): Promise<number> {
 *     return Number(await this.invoke(lampInterface.methods.brightness, []));
 *   }
 * }
 *
 * const registry = new ClientRegistry().register(LampClient, lampInterface.client);
 * await using served = await serve(new Lamp(), LampClient, { registry });
 * await served.client.setBrightness(40);
 * assert.equal(await served.client.brightness(), 40);
 * // the exporter validates arguments against the descriptor
 * await assert.rejects(served.client.setBrightness(140), InvalidArgumentError);
 * // untyped calls reach any method by its wire name
 * assert.equal(await served.client.call("brightness"), 40);
 * ```
 */
export class DriverClient {
  /** The driver's uuid (new for every session): what calls are addressed to. */
  readonly uuid: string;
  /** Export name under the parent (`jumpstarter.dev/name`); empty for the root. */
  readonly name: string;
  /** The driver's reported labels, including `jumpstarter.dev/client`. */
  readonly labels: Record<string, string>;
  /** The driver's reported description, if any. */
  readonly description: string | undefined;
  /** Per-method help from the report, by wire name. */
  readonly methodsDescription: Record<string, string>;
  /** Child clients by export name, in report order. */
  readonly children: Map<string, DriverClient> = new Map();
  readonly #connection: Connection;

  /** Called by `buildClientTree` for each report entry; tests may build one directly. */
  constructor(init: ClientInit) {
    this.uuid = init.uuid;
    this.name = init.name;
    this.labels = init.labels;
    this.description = init.description;
    this.methodsDescription = init.methodsDescription;
    this.#connection = init.connection;
  }

  /** The upstream client class path this client was built for. */
  get clientClass(): string {
    return this.labels[CLIENT_LABEL] ?? "";
  }

  /** Calls a unary method by name (any method, untyped) and returns its decoded result. */
  call(method: string, ...args: unknown[]): Promise<JsonValue> {
    return this.callWith({}, method, args);
  }

  /** Calls a server-streaming method by name; each item is decoded as it arrives. */
  streamingCall(method: string, ...args: unknown[]): AsyncGenerator<JsonValue> {
    return this.streamingCallWith({}, method, args);
  }

  /**
   * Calls a unary method of the driver's interface: a misnamed method or a wrong argument does
   * not compile. `options.timeoutMs` becomes the call's gRPC deadline (then it rejects with
   * `DriverTimeoutError`); aborting `options.signal` cancels it. See the class example.
   */
  invoke<D extends UnaryMethod>(
    method: D,
    args: InputArgs<D>,
    options: CallOptions = {},
  ): Promise<JsonValue> {
    return this.callWith(options, method.name, withoutTrailingUndefined(args));
  }

  /** Calls a server-streaming method of the driver's interface (typed as {@linkcode invoke}). */
  invokeStreaming<D extends StreamingMethod>(
    method: D,
    args: InputArgs<D>,
    options: CallOptions = {},
  ): AsyncGenerator<JsonValue> {
    return this.streamingCallWith(options, method.name, withoutTrailingUndefined(args));
  }

  /** {@linkcode call} with per-call options (abort signal, timeout). */
  async callWith(
    options: CallOptions,
    method: string,
    args: readonly unknown[],
  ): Promise<JsonValue> {
    const grpc = grpcCallOptions(this.#connection, options);
    try {
      const reply = await this.#connection.exporter.driverCall(
        { uuid: this.uuid, method, args: args.map(toValue) },
        grpc,
      );
      return fromValue(reply.result);
    } catch (error) {
      throw callError(error, options, grpc, `call "${method}"`);
    }
  }

  /** {@linkcode streamingCall} with per-call options (abort signal, timeout). */
  async *streamingCallWith(
    options: CallOptions,
    method: string,
    args: readonly unknown[],
  ): AsyncGenerator<JsonValue> {
    const grpc = grpcCallOptions(this.#connection, options);
    const stream = this.#connection.exporter.streamingDriverCall(
      { uuid: this.uuid, method, args: args.map(toValue) },
      grpc,
    );
    try {
      for await (const reply of stream) yield fromValue(reply.result);
    } catch (error) {
      throw callError(error, options, grpc, `streaming call "${method}"`);
    }
  }

  /**
   * Opens a driver byte stream (`RouterService.Stream`, kind `driver`) once the exporter has
   * answered with its headers. Closing the writable sends GOAWAY and half-closes; the readable
   * ends at the exporter's GOAWAY. Aborting `options.signal` drops the stream (both sides then
   * fail with the signal's reason); past `options.timeoutMs` it is dropped with
   * `DriverTimeoutError`, whether still opening or open.
   */
  stream(method = "connect", options: CallOptions = {}): Promise<DriverStream> {
    return openDriverStream(this.#connection, this.uuid, method, options);
  }

  /**
   * Opens a resource stream on this driver and starts moving bytes: `source` to the driver and
   * what it writes back to `sink`. Pass `handle` as an argument of a call on this same driver.
   */
  async resource(options: ResourceOptions = {}): Promise<ClientResource> {
    const encoding = options.encoding ?? null;
    options.signal?.throwIfAborted();
    const grpcOptions = grpcCallOptions(this.#connection, options);
    grpcOptions.metadata.set(REQUEST_KEY, resourceStreamRequest(this.uuid, encoding));
    if (!fastPathDisabled()) grpcOptions.metadata.set(FAST_PATH_REQUEST_KEY, "1");
    const failure = (error: unknown) => callError(error, options, grpcOptions, "resource stream");
    const call = this.#connection.router.stream(grpcOptions);
    let headers: grpc.Metadata;
    try {
      headers = await new Promise<grpc.Metadata>((resolve, reject) => {
        call.once("metadata", resolve);
        call.once("error", reject);
      });
    } catch (error) {
      throw failure(error);
    }
    call.on("error", () => {/* surfaced through the streams */});
    const handle = resourceHandleSchema.parse(JSON.parse(String(headers.get(RESOURCE_KEY)[0])));
    const stream = await openPeerStream(call, {
      target: this.#connection.target,
      ...(this.#connection.tls ? { tls: this.#connection.tls } : {}),
      offer: headers.get(FAST_PATH_OFFER_KEY)[0],
      waitUntilServed: true,
      onOutboundEnd: () => call.end(),
      onAbort: () => call.cancel(),
      mapError: failure,
    }).catch((error) => {
      call.cancel();
      throw failure(error);
    });
    let source = options.source ?? new ReadableStream({ start: (c) => c.close() });
    // without the accept header the exporter cannot decode: send decoded bytes
    if (encoding !== null && headers.get(ACCEPT_ENCODING_KEY).length === 0) {
      source = source.pipeThrough(decodeStream(encoding));
    }
    const upload = source.pipeTo(stream.writable);
    const download = options.sink
      ? stream.readable.pipeTo(options.sink)
      : stream.readable.pipeTo(new WritableStream());
    const done = Promise.all([upload, download]).then(() => {}, (error) => {
      call.cancel();
      throw failure(error);
    });
    done.catch(() => {});
    return { handle, done };
  }

  /**
   * The child named `name`, checked to be an instance of `kind`.
   *
   * @throws {TypeError} when there is no such child or it is of another client class.
   */
  child<T extends DriverClient>(
    name: string,
    kind: abstract new (init: ClientInit) => T,
  ): T {
    const child = this.children.get(name);
    if (!child) {
      const known = [...this.children.keys()].map((n) => `"${n}"`).join(", ") || "none";
      throw new TypeError(`Cannot find driver "${name}": children are ${known}`);
    }
    if (!(child instanceof kind)) {
      throw new TypeError(
        `Cannot use driver "${name}" as ${kind.name}: its client is "${child.clientClass}"`,
      );
    }
    return child;
  }
}
