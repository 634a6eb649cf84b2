/**
 * Raw access to a controller for the checks the CLI cannot express: the credentials a config file
 * holds, a gRPC channel that sends exactly the metadata it is given (arbitrary or forged), and how
 * a refused call or router stream ended.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { parse } from "yaml";
import {
  adminV1,
  clientV1,
  ControllerService,
  createClient,
  type ServiceClient,
  type ServiceMethods,
} from "@jumpstarter/protos";
import { channelCredentials } from "@jumpstarter/lib/tunnel";
import { withTimeout } from "./_helpers.ts";

/** What a config file written by `jmp admin` (or jmp-controller's admin.yaml) holds. */
export interface CredentialFile {
  endpoint: string;
  token: string;
  namespace: string;
  name: string;
  /** Base64 PEM of the controller's CA. */
  ca: string;
}

/** Reads the endpoint, token, identity and CA of a client, exporter or admin config. */
export async function readCredentials(path: string): Promise<CredentialFile> {
  // deno-lint-ignore no-explicit-any
  const doc = parse(await Deno.readTextFile(path)) as any;
  return {
    endpoint: String(doc.endpoint),
    token: String(doc.token),
    namespace: String(doc.metadata?.namespace ?? ""),
    name: String(doc.metadata?.name ?? "admin"),
    ca: String(doc.tls?.ca ?? ""),
  };
}

/** Rewrites the `token:` of a config file into a new file; returns its path. */
export async function withToken(path: string, token: string, out: string): Promise<string> {
  const text = await Deno.readTextFile(path);
  assert.match(text, /^token: \S+$/m, `no token line in ${path}`);
  await Deno.writeTextFile(out, text.replace(/^token: \S+$/m, () => `token: ${token}`));
  return out;
}

/** A TLS channel to a controller that sends exactly the metadata it is given on every call. */
export interface RawChannel extends Disposable {
  readonly channel: grpc.Client;
  readonly clients: ServiceClient<ServiceMethods<typeof clientV1.ClientService>>;
  readonly controller: ServiceClient<ServiceMethods<typeof ControllerService>>;
  readonly admin: ServiceClient<ServiceMethods<typeof adminV1.AdminService>>;
  /** A raw `RouterService.Stream` call presenting `authorization` (if given). */
  routerStream(authorization?: string): grpc.ClientDuplexStream<Uint8Array, Uint8Array>;
  close(): void;
}

/**
 * Opens a TLS channel to `endpoint` trusting `caBase64`, attaching `metadata` (key -> value, or
 * several values) to every call, unlike `controllerChannel` which always sends a full identity.
 */
export async function rawChannel(
  endpoint: string,
  caBase64: string,
  metadata: Record<string, string | string[]> = {},
): Promise<RawChannel> {
  const credentials = await channelCredentials(endpoint, { ca: caBase64, insecure: false });
  const interceptor: grpc.Interceptor = (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(md, listener, proceed) {
        for (const [key, value] of Object.entries(metadata)) {
          for (const v of Array.isArray(value) ? value : [value]) md.add(key, v);
        }
        proceed(md, listener);
      },
    });
  const channel = new grpc.Client(endpoint, credentials, { interceptors: [interceptor] });
  const close = () => channel.close();
  const identity = (bytes: Uint8Array) => bytes;
  return {
    channel,
    clients: createClient(clientV1.ClientService, channel),
    controller: createClient(ControllerService, channel),
    admin: createClient(adminV1.AdminService, channel),
    routerStream(authorization?: string) {
      const md = new grpc.Metadata();
      if (authorization !== undefined) md.set("authorization", authorization);
      return channel.makeBidiStreamRequest(
        "/jumpstarter.v1.RouterService/Stream",
        // deno-lint-ignore no-explicit-any
        identity as any,
        // deno-lint-ignore no-explicit-any
        identity as any,
        md,
      );
    },
    close,
    [Symbol.dispose]: close,
  };
}

/** The four `jumpstarter-*`/authorization entries of a controller call for `who`. */
export function identityMetadata(
  who: { token: string; namespace: string; name: string },
  kind: "Client" | "Exporter" | "Admin",
): Record<string, string> {
  return {
    authorization: `Bearer ${who.token}`,
    "jumpstarter-kind": kind,
    "jumpstarter-namespace": who.namespace,
    "jumpstarter-name": who.name,
  };
}

/** A gRPC failure as the tests look at it. */
export interface CallFailure {
  code: number;
  details: string;
}

/**
 * Awaits `call` and returns how it failed; fails the test if it succeeded.
 */
export async function rejection(what: string, call: Promise<unknown>): Promise<CallFailure> {
  try {
    const result = await withTimeout(call, 15_000, what);
    assert.fail(`${what}: expected a refusal, got ${JSON.stringify(result, bigints)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    const e = error as { code?: unknown; details?: unknown; message?: string };
    assert.equal(typeof e.code, "number", `${what}: not a gRPC status: ${e.message}`);
    return { code: e.code as number, details: String(e.details ?? e.message) };
  }
}

/** The status a raw router stream ends with (it must end, not stay parked). */
export function routerStreamStatus(
  stream: grpc.ClientDuplexStream<Uint8Array, Uint8Array>,
): Promise<CallFailure> {
  return withTimeout(
    new Promise<CallFailure>((resolve) => {
      stream.on("data", () => {});
      stream.on(
        "error",
        (error: grpc.ServiceError) => resolve({ code: error.code, details: error.details }),
      );
      stream.on(
        "status",
        (status: grpc.StatusObject) => resolve({ code: status.code, details: status.details }),
      );
    }),
    15_000,
    "router stream status",
  );
}

function bigints(_key: string, value: unknown) {
  return typeof value === "bigint" ? value.toString() : value;
}
