/**
 * DriverClient: the client-side counterpart of one driver, calling its methods over a session.
 */
import { fromValue, type JsonValue, statusToError, toValue } from "@jumpstarter/lib/wire";
import {
  type ByteStream,
  driverStreamRequest,
  frameByteStream,
  REQUEST_KEY,
} from "@jumpstarter/lib/streams";
import type { Connection } from "./connection.ts";

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
  async stream(method = "connect"): Promise<ByteStream> {
    const metadata = this.#connection.metadata();
    metadata.set(REQUEST_KEY, driverStreamRequest(this.uuid, method));
    const call = this.#connection.router.stream({ metadata });
    try {
      await new Promise<void>((resolve, reject) => {
        call.once("metadata", () => resolve());
        call.once("error", reject);
      });
    } catch (error) {
      throw statusToError(error);
    }
    call.on("error", () => {/* surfaced through the streams */});
    return frameByteStream(call, {
      onOutboundEnd: () => call.end(),
      onAbort: () => call.cancel(),
      mapError: statusToError,
    });
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
