/**
 * Typed glue between protobuf-es service descriptors and `@grpc/grpc-js`: service definitions for
 * servers, promise/async-iterable clients, and handler adapters.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { decodeFrame, frameSerializer } from "./frame_codec.ts";
import { guardHttp2Sessions } from "./http2_reentry.ts";

// grpc-js prints its own copy of errors on stderr; ours reach the user once, as one line.
// GRPC_VERBOSITY (grpc-js's own variable) brings its logs back for debugging.
if (!envHas("GRPC_VERBOSITY")) grpc.setLogVerbosity(grpc.logVerbosity.NONE);

function envHas(name: string): boolean {
  try {
    return Deno.env.has(name);
  } catch {
    return false; // no env permission
  }
}

const FRAME_MESSAGES = new Set(["jumpstarter.v1.StreamRequest", "jumpstarter.v1.StreamResponse"]);

type MethodShape = GenServiceMethods[string];
type In<M extends MethodShape> = MessageShape<M["input"]>;
type Out<M extends MethodShape> = MessageShape<M["output"]>;
type OutInit<M extends MethodShape> = MessageInitShape<M["output"]>;

/** The full gRPC path of a method, e.g. `/jumpstarter.v1.ExporterService/DriverCall`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer(schema: DescMessage) {
  if (FRAME_MESSAGES.has(schema.typeName)) return frameSerializer;
  return (message: unknown): Buffer => {
    const bytes = toBinary(schema, message as MessageShape<DescMessage>);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage): (bytes: Uint8Array) => MessageShape<DescMessage> {
  if (FRAME_MESSAGES.has(schema.typeName)) {
    return (bytes: Uint8Array) =>
      decodeFrame(bytes, schema.typeName) as unknown as MessageShape<DescMessage>;
  }
  return (bytes: Uint8Array) => fromBinary(schema, bytes);
}

/**
 * What the server sees for a request that does not parse: grpc-js answers a throwing deserializer
 * with INTERNAL, but a malformed request is the caller's fault, so {@linkcode implement} answers
 * INVALID_ARGUMENT instead.
 */
class MalformedRequest {
  constructor(readonly typeName: string, readonly reason: string) {}

  toStatus(): StatusReply {
    const reason = this.reason.length > 200 ? `${this.reason.slice(0, 200)}...` : this.reason;
    return { code: grpc.status.INVALID_ARGUMENT, details: `Malformed ${this.typeName}: ${reason}` };
  }
}

function requestDeserializer(
  schema: DescMessage,
): (bytes: Uint8Array) => MessageShape<DescMessage> {
  const parse = deserializer(schema);
  return (bytes: Uint8Array) => {
    try {
      return parse(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return new MalformedRequest(schema.typeName, reason) as unknown as MessageShape<DescMessage>;
    }
  };
}

/** Builds the grpc-js service definition of a protobuf-es service descriptor. */
export function serviceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: methodPath(method),
      requestStream: method.methodKind === "client_streaming" ||
        method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" ||
        method.methodKind === "bidi_streaming",
      requestSerialize: serializer(method.input),
      requestDeserialize: requestDeserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
    };
  }
  return definition;
}

/** A gRPC status to answer with: what handlers' thrown errors are turned into. */
export interface StatusReply {
  code: grpc.status;
  details: string;
}

/** Server-side handler of a unary method. */
export type UnaryHandler<M extends MethodShape> = (
  request: In<M>,
  call: grpc.ServerUnaryCall<In<M>, Out<M>>,
) => Promise<OutInit<M>>;

/** Server-side handler of a server-streaming method: each yielded item is one response. */
export type ServerStreamHandler<M extends MethodShape> = (
  request: In<M>,
  call: grpc.ServerWritableStream<In<M>, Out<M>>,
) => AsyncIterable<OutInit<M>>;

/** Server-side handler of a bidirectional method, working on the raw grpc-js duplex call. */
export type BidiHandler<M extends MethodShape> = (
  call: grpc.ServerDuplexStream<In<M>, Out<M>>,
) => Promise<void>;

/** Handlers for every method of a service, typed from its descriptor. */
export type ServiceHandlers<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]["methodKind"] extends "unary" ? UnaryHandler<T[K]>
    : T[K]["methodKind"] extends "server_streaming" ? ServerStreamHandler<T[K]>
    : T[K]["methodKind"] extends "bidi_streaming" ? BidiHandler<T[K]>
    : never;
};

/** Options of {@linkcode implement}. */
export interface ImplementOptions {
  /** Turns an error thrown by a handler into the status sent to the caller. */
  toStatus(error: unknown): StatusReply;
}

function waitDrained(call: grpc.ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      call.off("close", done);
      resolve();
    };
    call.on("drain", done);
    call.on("cancelled", done);
    call.on("close", done);
  });
}

/** Adapts typed async handlers to grpc-js's callback implementation shape. */
export function implement<T extends GenServiceMethods>(
  service: GenService<T>,
  handlers: ServiceHandlers<T>,
  options: ImplementOptions,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const handler = (handlers as Record<string, unknown>)[method.localName];
    if (typeof handler !== "function") continue;
    const output = method.output;
    switch (method.methodKind) {
      case "unary":
        implementation[method.localName] = (
          call: grpc.ServerUnaryCall<MessageShape<DescMessage>, unknown>,
          callback: grpc.sendUnaryData<unknown>,
        ) => {
          if (call.request instanceof MalformedRequest) {
            return callback(toServiceError(call.request.toStatus()));
          }
          (handler as UnaryHandler<MethodShape>)(call.request, call).then(
            (reply) => callback(null, create(output, reply)),
            (error) => callback(toServiceError(options.toStatus(error))),
          );
        };
        break;
      case "server_streaming":
        implementation[method.localName] = async (
          call: grpc.ServerWritableStream<MessageShape<DescMessage>, unknown>,
        ) => {
          if (call.request instanceof MalformedRequest) {
            return void call.emit("error", toServiceError(call.request.toStatus()));
          }
          let cancelled = false;
          call.on("cancelled", () => cancelled = true);
          // Resolves once every item written so far has reached the transport, so that an
          // error status never overtakes items already yielded.
          let written: Promise<void> = Promise.resolve();
          try {
            for await (
              const item of (handler as ServerStreamHandler<MethodShape>)(call.request, call)
            ) {
              if (cancelled) break;
              written = new Promise((resolve) => {
                if (!call.write(create(output, item), () => resolve())) {
                  waitDrained(call).then(resolve);
                }
              });
              if (call.writableNeedDrain) await waitDrained(call);
            }
            if (!cancelled) call.end();
          } catch (error) {
            await written;
            if (!cancelled) call.emit("error", toServiceError(options.toStatus(error)));
          }
        };
        break;
      case "bidi_streaming":
        implementation[method.localName] = (
          call: grpc.ServerDuplexStream<MessageShape<DescMessage>, unknown>,
        ) => {
          call.prependListener("data", (message: unknown) => {
            if (message instanceof MalformedRequest) {
              call.emit("error", toServiceError(message.toStatus()));
            }
          });
          (handler as BidiHandler<MethodShape>)(call).catch((error) => {
            // grpc-js turns an "error" event into the call's final status
            call.emit("error", toServiceError(options.toStatus(error)));
          });
        };
        break;
      default:
        throw new TypeError(`Cannot implement method "${method.name}": client streaming is unused`);
    }
  }
  return implementation;
}

function toServiceError(reply: StatusReply): grpc.ServiceError {
  return Object.assign(new Error(reply.details), {
    code: reply.code,
    details: reply.details,
    metadata: new grpc.Metadata(),
  });
}

/** Per-call options of a typed client method. */
export interface CallOptions {
  metadata?: grpc.Metadata;
  /** Aborting cancels the call (the caller sees a CANCELLED error). */
  signal?: AbortSignal;
  deadline?: Date;
}

/** A promise- and async-iterable-based client of a service, typed from its descriptor. */
export type ServiceClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]["methodKind"] extends "unary"
    ? (request: MessageInitShape<T[K]["input"]>, options?: CallOptions) => Promise<Out<T[K]>>
    : T[K]["methodKind"] extends "server_streaming" ? (
        request: MessageInitShape<T[K]["input"]>,
        options?: CallOptions,
      ) => AsyncIterable<Out<T[K]>>
    : T[K]["methodKind"] extends "bidi_streaming"
      ? (options?: CallOptions) => grpc.ClientDuplexStream<In<T[K]>, Out<T[K]>>
    : never;
};

function callOptions(options: CallOptions | undefined): grpc.CallOptions {
  return options?.deadline ? { deadline: options.deadline } : {};
}

function bindAbort(call: grpc.Call, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const cancel = () => call.cancel();
  if (signal.aborted) cancel();
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

// Node's Readable async iterator drops buffered items when an error arrives; gRPC semantics
// want every item received before the status delivered first, so the queue is kept here.
async function* iterateStream<O>(
  call: grpc.ClientReadableStream<O>,
  unbind: () => void,
): AsyncGenerator<O> {
  const queue: O[] = [];
  let failure: { error: unknown } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  call.on("data", (item: O) => {
    queue.push(item);
    if (queue.length >= 16) call.pause();
    notify();
  });
  call.on("error", (error) => {
    // grpc-js emits the status error while received items may still sit in the buffer
    for (let item = call.read(); item !== null; item = call.read()) queue.push(item as O);
    failure = { error };
    notify();
  });
  call.on("end", () => {
    ended = true;
    notify();
  });
  try {
    while (true) {
      if (queue.length > 0) {
        const item = queue.shift() as O;
        if (queue.length < 4 && call.isPaused()) call.resume();
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => wake = resolve);
    }
  } finally {
    unbind();
    call.cancel();
  }
}

/** Creates a typed client of `service` sharing the connection of `channel`. */
export function createClient<T extends GenServiceMethods>(
  service: GenService<T>,
  channel: grpc.Client,
): ServiceClient<T> {
  guardHttp2Sessions(); // the channel's session, against Deno's use-after-free on a GOAWAY
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    const path = methodPath(method);
    const serialize = serializer(method.input);
    const deserialize = deserializer(method.output);
    const input = method.input;
    switch (method.methodKind) {
      case "unary":
        client[method.localName] = (
          request: MessageInitShape<DescMessage>,
          options?: CallOptions,
        ) =>
          new Promise((resolve, reject) => {
            let unbind = () => {};
            const call = channel.makeUnaryRequest(
              path,
              serialize,
              deserialize,
              create(input, request),
              options?.metadata ?? new grpc.Metadata(),
              callOptions(options),
              (error, reply) => {
                unbind();
                if (error) reject(error);
                else resolve(reply);
              },
            );
            unbind = bindAbort(call, options?.signal);
          });
        break;
      case "server_streaming":
        client[method.localName] = (
          request: MessageInitShape<DescMessage>,
          options?: CallOptions,
        ) => {
          const call = channel.makeServerStreamRequest(
            path,
            serialize,
            deserialize,
            create(input, request),
            options?.metadata ?? new grpc.Metadata(),
            callOptions(options),
          );
          return iterateStream(call, bindAbort(call, options?.signal));
        };
        break;
      case "bidi_streaming":
        client[method.localName] = (options?: CallOptions) => {
          const call = channel.makeBidiStreamRequest(
            path,
            serialize,
            deserialize,
            options?.metadata ?? new grpc.Metadata(),
            callOptions(options),
          );
          // a long-lived signal shared by many streams must not keep each ended one
          call.once("status", bindAbort(call, options?.signal));
          return call;
        };
        break;
    }
  }
  return client as ServiceClient<T>;
}

/** The method table of a generated service, e.g. `ServiceMethods<typeof ExporterService>`. */
export type ServiceMethods<S> = S extends GenService<infer T> ? T : never;
