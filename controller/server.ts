/**
 * jmp-controller as a library: state directory, store, token authority, lease engine and one
 * gRPC port serving ControllerService, ClientService, AdminService and the router.
 */
import * as grpc from "@grpc/grpc-js";
import {
  adminV1,
  clientV1,
  ControllerService,
  createServer,
  implement,
  serviceDefinition,
} from "@jumpstarter/protos";
import { errorToStatus } from "@jumpstarter/lib/wire";
import { serveTlsFront, type TlsFront } from "@jumpstarter/lib/tunnel";
import { Authority } from "./auth.ts";
import { ControllerCore, type LeaseEngine, STALE_STREAM_MS } from "./core.ts";
import { Router, routerServiceDefinition } from "./router.ts";
import { SpliceRouter } from "./router_splice.ts";
import { adminHandlers } from "./services/admin_service.ts";
import { clientHandlers } from "./services/client_service.ts";
import { controllerHandlers } from "./services/controller_service.ts";
import { loadKeyMaterial, loadTlsMaterial } from "./state_dir.ts";
import { openStoreAndKeys } from "./store/mod.ts";
import { EtcdStore } from "./store/etcd_store.ts";
import { connectReplica, fingerprint, type Replica } from "./replica.ts";
import { schedulerEngine } from "./engine.ts";
import { ControllerMetrics, type MetricsServer, serveMetrics } from "./metrics.ts";
import { OidcVerifier } from "./oidc.ts";
import type { AuthConfig } from "./oidc_config.ts";
import type { AccessPolicy } from "./scheduler/mod.ts";

/** Options of {@linkcode startController}. */
export interface ControllerOptions {
  /** Where keys, the certificate and the store live. */
  stateDir: string;
  /** `etcd://host:port,...[/prefix]` keeps the store on etcd; default: a file journal in stateDir. */
  store?: string;
  /** Address to listen on, `host:port` (port 0 picks one). */
  listen: string;
  /** Endpoint handed to clients and exporters; default: the listen address (0.0.0.0 -> localhost). */
  advertise?: string;
  /** Serve without TLS (tests, or behind a TLS-terminating proxy). */
  plaintext?: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Extra names and addresses for the self-signed certificate. */
  tlsHosts?: string[];
  now?: () => number;
  /** Custom lease engine (tests); default: the scheduler over the store. */
  engine?: (core: ControllerCore) => LeaseEngine;
  /** `host:port` to serve Prometheus `/metrics` on (port 0 picks one); default: not served. */
  metricsAddress?: string;
  /** External OIDC issuers to trust (`--auth-config`); default: only the controller's tokens. */
  authConfig?: AuthConfig;
  /** The ExporterAccessPolicies in force, read at every scheduling pass; default: none. */
  accessPolicies?: () => readonly AccessPolicy[];
  /** On etcd: seconds a dead replica keeps leading and its exporters online (default 5). */
  replicaTtlSeconds?: number;
}

/** A running controller. */
export interface RunningController extends AsyncDisposable {
  readonly endpoint: string;
  readonly port: number;
  readonly core: ControllerCore;
  readonly router: Router;
  readonly metrics: ControllerMetrics;
  /** On etcd: this controller as one of the replicas sharing the prefix. */
  readonly replica?: Replica;
  /** The `/metrics` port, when `metricsAddress` was given. */
  readonly metricsPort?: number;
  /** A fresh admin token (valid a year). */
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(
      address,
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
}

function splitHostPort(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(":");
  return { host: address.slice(0, index) || "0.0.0.0", port: Number(address.slice(index + 1)) };
}

/** Starts the controller. */
export async function startController(options: ControllerOptions): Promise<RunningController> {
  const listen = splitHostPort(options.listen);
  const { store, keys } = await openStoreAndKeys(
    options.store,
    options.stateDir,
    () => loadKeyMaterial(options.stateDir, "jmp-controller"),
  );
  const authority = await Authority.create(keys);
  if (options.authConfig?.jwt.length) authority.oidc = new OidcVerifier(options.authConfig);
  // a name, not an IP: Deno's TLS client refuses an IP address as the server name
  const advertisedHost = options.advertise
    ? splitHostPort(options.advertise).host
    : (["0.0.0.0", "127.0.0.1", "::", "::1"].includes(listen.host) ? "localhost" : listen.host);
  const server = createServer({
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 1000,
    // pings every peer, so that the streams of a host that vanished (no FIN, no RST) end within
    // STALE_STREAM_MS: its exporter shows Offline and a restarted process may connect again
    "grpc.keepalive_time_ms": STALE_STREAM_MS / 2,
    "grpc.keepalive_timeout_ms": STALE_STREAM_MS / 2,
  });
  let caBase64 = "";
  let port: number;
  let front: TlsFront | undefined;
  let identity: { cert: string; key: string } | undefined;
  const socketPath = `${options.stateDir}/grpc.sock`;
  if (options.plaintext) {
    port = await bind(server, `${listen.host}:${listen.port}`);
  } else {
    const tls = await loadTlsMaterial(
      options.stateDir,
      ["localhost", "127.0.0.1", advertisedHost, ...(options.tlsHosts ?? [])],
      options.tlsCertFile && options.tlsKeyFile
        ? { certFile: options.tlsCertFile, keyFile: options.tlsKeyFile }
        : undefined,
    );
    caBase64 = options.tlsCertFile ? "" : btoa(tls.cert);
    identity = { cert: tls.cert, key: tls.key };
    await Deno.remove(socketPath).catch(() => {});
    await bind(server, `unix:${socketPath}`);
    front = await serveTlsFront({
      ...listen,
      hostname: listen.host,
      cert: tls.cert,
      key: tls.key,
      target: socketPath,
    });
    port = front.port;
  }
  const endpoint = options.advertise ?? `${advertisedHost}:${port}`;
  const metrics = new ControllerMetrics({
    leases: () => store.leases.list(),
    activeSessions: () => router.active + (router.splice?.active ?? 0),
    bytesRouted: () => router.bytesRouted + (router.splice?.bytesRouted ?? 0),
  });
  const makeEngine = options.engine ??
    ((core: ControllerCore) => schedulerEngine(core, options.accessPolicies));
  const core = new ControllerCore({
    store,
    authority,
    endpoint,
    caBase64,
    ...(options.now ? { now: options.now } : {}),
    makeEngine: (core) => metrics.watch(makeEngine(core)),
  });
  let replica: Replica | undefined;
  if (store instanceof EtcdStore) {
    try {
      replica = await connectReplica(core, store, {
        keysFingerprint: await fingerprint(keys),
        ...(options.replicaTtlSeconds ? { ttlSeconds: options.replicaTtlSeconds } : {}),
      });
    } catch (error) {
      await front?.close();
      server.forceShutdown();
      await store.close();
      throw error;
    }
  }
  const router = new Router(authority);
  // the fast path's splice port beside the gRPC one, TLS when it is (our peers only)
  const splice = await SpliceRouter.listen(authority, { hostname: listen.host, ...identity });
  router.splice = splice;
  const toStatus = { toStatus: errorToStatus };
  server.addService(
    serviceDefinition(ControllerService),
    implement(ControllerService, controllerHandlers(core), toStatus),
  );
  server.addService(
    serviceDefinition(clientV1.ClientService),
    implement(clientV1.ClientService, clientHandlers(core), toStatus),
  );
  server.addService(
    serviceDefinition(adminV1.AdminService),
    implement(adminV1.AdminService, adminHandlers(core), toStatus),
  );
  server.addService(routerServiceDefinition, router.implementation());
  await core.start();
  let metricsServer: MetricsServer | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      core.close();
      await replica?.close();
      await metricsServer?.close();
      await splice?.close();
      await front?.close();
      server.forceShutdown();
      await store.close();
    })();
  if (options.metricsAddress) {
    try {
      metricsServer = serveMetrics(metrics.registry, options.metricsAddress);
    } catch (error) {
      await close();
      throw error;
    }
  }
  return {
    endpoint,
    port,
    core,
    router,
    metrics,
    ...(replica ? { replica } : {}),
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
    adminToken: () => authority.issue({ kind: "Admin", name: "admin" }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
