/**
 * A client's connection to a controller: `ClientService` (leases, exporters) and
 * `ControllerService.Dial`, with the bearer token and `jumpstarter-*` metadata on every call.
 */
/**
 * @ignore For `deno doc --lint` only: on a file's first statement this tag exempts the file's
 * public types from needing what they reference exported from the linted modules. It is here for
 * grpc-js's `Client`, the generated service clients, `TlsOptions` (lib/tunnel) and
 * `ClientConfig` (lib/config), documented by their own packages (re-exporting them would lint
 * their declarations).
 */
import * as grpc from "@grpc/grpc-js";
import {
  CHANNEL_WINDOW_OPTIONS,
  clientV1,
  ControllerService,
  createClient,
  type ServiceClient,
  type ServiceMethods,
} from "@jumpstarter/protos";
import { channelCredentials, type TlsOptions } from "@jumpstarter/lib/tunnel";
import {
  INSTANCE_METADATA_KEY,
  JumpstarterError,
  KIND_METADATA_KEY,
  NAME_METADATA_KEY,
  NAMESPACE_METADATA_KEY,
  statusToError,
} from "@jumpstarter/lib/wire";
import type { ClientConfig } from "@jumpstarter/lib/config";

/** Who the caller is and where the controller is. */
export interface ControllerIdentity {
  /**
   * The controller's gRPC target (the config's `endpoint`): `host:port`, or several replicas as
   * `ipv4:IP:PORT,IP:PORT` or a DNS name resolving to several, tried in order (pick_first).
   */
  endpoint: string;
  /** Bearer token sent as `authorization` on every call (the config's `token`). */
  token: string;
  /** Kubernetes namespace of the caller's object, sent as `jumpstarter-namespace`. */
  namespace: string;
  /** Name of the caller's Client or Exporter object, sent as `jumpstarter-name`. */
  name: string;
  /** What kind of object the caller is, sent as `jumpstarter-kind`. */
  kind: "Client" | "Exporter" | "Admin";
  /** CA and verification settings of the config's `tls:` (ignored with `plaintext`). */
  tls?: TlsOptions;
  /** Plaintext (a controller started with `--insecure-plaintext`). */
  plaintext?: boolean;
  /** Extra grpc-js channel options (the config's `grpcOptions`), over upstream's defaults. */
  grpcOptions?: Record<string, string | number>;
  /** An exporter's process id for the controller (`jumpstarter-instance`): one per process. */
  instance?: string;
}

/**
 * Default channel options: upstream's Python client's (spec/protocol.md 3.2), but for two that
 * decide how soon a client or exporter is back after its controller replica goes away. A replica
 * killed on a live host closes its connections and the channel fails over at once; one whose
 * host vanished (no FIN, no RST) is noticed when a keepalive ping goes unanswered, after 10 s
 * rather than upstream's 180 s. And a channel retries an unreachable controller at least every
 * 10 s (grpc's default backoff grows to 120 s), so one back after an outage is found soon.
 */
const CHANNEL_DEFAULTS: Record<string, string | number> = {
  ...CHANNEL_WINDOW_OPTIONS,
  "grpc.keepalive_time_ms": 20000,
  "grpc.keepalive_timeout_ms": 10000,
  "grpc.http2.max_pings_without_data": 0,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.max_reconnect_backoff_ms": 10000,
};

/** Opens a channel to the controller, with credentials attached to every call. */
export async function controllerChannel(identity: ControllerIdentity): Promise<grpc.Client> {
  const transport = identity.plaintext
    ? grpc.credentials.createInsecure()
    : await channelCredentials(identity.endpoint, identity.tls);
  const options = { ...CHANNEL_DEFAULTS, ...identity.grpcOptions };
  if (identity.plaintext) {
    // call credentials only ride on secure channels, so plaintext adds metadata per call
    return new grpc.Client(identity.endpoint, transport, {
      ...options,
      interceptors: [metadataInterceptor(identity)],
    });
  }
  const perCall = grpc.credentials.createFromMetadataGenerator((_params, callback) =>
    callback(null, identityMetadata(identity))
  );
  return new grpc.Client(
    identity.endpoint,
    grpc.credentials.combineChannelCredentials(transport, perCall),
    options,
  );
}

function identityMetadata(identity: ControllerIdentity): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${identity.token}`);
  metadata.set(KIND_METADATA_KEY, identity.kind);
  metadata.set(NAMESPACE_METADATA_KEY, identity.namespace);
  metadata.set(NAME_METADATA_KEY, identity.name);
  if (identity.instance) metadata.set(INSTANCE_METADATA_KEY, identity.instance);
  return metadata;
}

function metadataInterceptor(identity: ControllerIdentity): grpc.Interceptor {
  return (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(metadata, listener, proceed) {
        metadata.merge(identityMetadata(identity));
        proceed(metadata, listener);
      },
    });
}

/** A typed `jumpstarter.client.v1.ClientService` client: leases and exporters. */
export type ClientServiceClient = ServiceClient<ServiceMethods<typeof clientV1.ClientService>>;
/** A typed `jumpstarter.v1.ControllerService` client (a client uses its `Dial`). */
export type ControllerServiceClient = ServiceClient<ServiceMethods<typeof ControllerService>>;

/** Typed service clients over one controller channel. */
export interface ControllerConnection extends Disposable {
  /** Who this connection calls as. */
  readonly identity: ControllerIdentity;
  /** `ClientService`: leases and exporters. */
  readonly clients: ClientServiceClient;
  /** `ControllerService`: `Dial` for a lease's router endpoint. */
  readonly controller: ControllerServiceClient;
  /** Closes the channel; calls in flight fail. */
  close(): void;
}

/**
 * Who a client config says the caller is.
 *
 * @throws {JumpstarterError} when the config lacks the endpoint, token or namespace.
 */
export function clientIdentity(config: ClientConfig): ControllerIdentity {
  const { endpoint, token } = config;
  const namespace = config.metadata.namespace;
  if (!endpoint || !token || !namespace) {
    throw new JumpstarterError("endpoint or token not set in client config");
  }
  return {
    endpoint,
    token,
    namespace,
    name: config.metadata.name,
    kind: "Client",
    tls: config.tls,
    grpcOptions: config.grpcOptions,
  };
}

/** Connects to the controller named in `identity`. */
export async function connectController(
  identity: ControllerIdentity,
): Promise<ControllerConnection> {
  const channel = await controllerChannel(identity);
  const close = () => channel.close();
  return {
    identity,
    clients: createClient(clientV1.ClientService, channel),
    controller: createClient(ControllerService, channel),
    close,
    [Symbol.dispose]: close,
  };
}

/** Runs a controller call, turning status errors into Jumpstarter errors. */
export async function controllerCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw statusToError(error);
  }
}
