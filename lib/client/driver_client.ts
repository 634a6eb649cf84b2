/**
 * DriverClient: the client-side counterpart of one driver, calling its methods over a session.
 */
import type * as grpc from "@grpc/grpc-js";
import { fromValue, type JsonValue, statusToError, toValue } from "@jumpstarter/lib/wire";
import {
  ACCEPT_ENCODING_KEY,
  type ContentEncoding,
  decodeStream,
  frameByteStream,
  REQUEST_KEY,
  RESOURCE_KEY,
  type ResourceHandle,
  resourceHandleSchema,
  resourceStreamRequest,
} from "@jumpstarter/lib/streams";
import type { Connection } from "./connection.ts";
import { type DriverStream, openDriverStream } from "./driver_stream.ts";

/** What every client is built from: one entry of the report plus the shared connection. */
export interface ClientInit {
  uuid: string;
  /** Export name under the parent (`jumpstarter.dev/name`); empty for the root. */
  name: string;
  labels: Record<string, string>;
  description: string | undefined;
  methodsDescription: Record<string, string>;
  connection: Connection;
}

/** Options of {@linkcode DriverClient.resource}. */
export interface ResourceOptions {
  /** Bytes to send to the driver (an upload); none means an empty upload. */
  source?: ReadableStream<Uint8Array>;
  /** Where bytes the driver writes back go (a download); none means they are discarded. */
  sink?: WritableStream<Uint8Array>;
  /** How `source` is encoded (e.g. a `.xz` image); the exporter decodes it. */
  encoding?: ContentEncoding | null;
}

/** An open client-side resource: its handle to pass as an argument, and the transfer. */
export interface ClientResource {
  readonly handle: ResourceHandle;
  /** Settles when both directions have ended; rejects if the transfer broke. */
  readonly done: Promise<void>;
}

/**
 * A generic driver client: `call` and `streamingCall` reach any exported method. Typed clients
 * subclass it and wrap these calls.
 */
export class DriverClient {
  readonly uuid: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly description: string | undefined;
  readonly methodsDescription: Record<string, string>;
  /** Child clients by export name, in report order. */
  readonly children: Map<string, DriverClient> = new Map();
  readonly #connection: Connection;

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
    return this.labels["jumpstarter.dev/client"] ?? "";
  }

  /** Calls a unary method and returns its decoded result. */
  async call(method: string, ...args: unknown[]): Promise<JsonValue> {
    try {
      const reply = await this.#connection.exporter.driverCall(
        { uuid: this.uuid, method, args: args.map(toValue) },
        { metadata: this.#connection.metadata() },
      );
      return fromValue(reply.result);
    } catch (error) {
      throw statusToError(error);
    }
  }

  /** Calls a server-streaming method; each item is decoded as it arrives. */
  async *streamingCall(method: string, ...args: unknown[]): AsyncGenerator<JsonValue> {
    const stream = this.#connection.exporter.streamingDriverCall(
      { uuid: this.uuid, method, args: args.map(toValue) },
      { metadata: this.#connection.metadata() },
    );
    try {
      for await (const reply of stream) yield fromValue(reply.result);
    } catch (error) {
      throw statusToError(error);
    }
  }

  /**
   * Opens a driver byte stream (`RouterService.Stream`, kind `driver`) once the exporter has
   * answered with its headers. Closing the writable sends GOAWAY and half-closes; the readable
   * ends at the exporter's GOAWAY.
   */
  stream(method = "connect"): Promise<DriverStream> {
    return openDriverStream(this.#connection, this.uuid, method);
  }

  /**
   * Opens a resource stream on this driver and starts moving bytes: `source` to the driver and
   * what it writes back to `sink`. Pass `handle` as an argument of a call on this same driver.
   */
  async resource(options: ResourceOptions = {}): Promise<ClientResource> {
    const encoding = options.encoding ?? null;
    const metadata = this.#connection.metadata();
    metadata.set(REQUEST_KEY, resourceStreamRequest(this.uuid, encoding));
    const call = this.#connection.router.stream({ metadata });
    let headers: grpc.Metadata;
    try {
      headers = await new Promise<grpc.Metadata>((resolve, reject) => {
        call.once("metadata", resolve);
        call.once("error", reject);
      });
    } catch (error) {
      throw statusToError(error);
    }
    call.on("error", () => {/* surfaced through the streams */});
    const handle = resourceHandleSchema.parse(JSON.parse(String(headers.get(RESOURCE_KEY)[0])));
    const stream = frameByteStream(call, {
      onOutboundEnd: () => call.end(),
      onAbort: () => call.cancel(),
      mapError: statusToError,
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
      throw statusToError(error);
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
