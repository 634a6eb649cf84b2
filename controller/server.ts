/**
 * jmp-controller as a library: state directory, store, token authority, lease engine and one
 * gRPC port serving ControllerService, ClientService, AdminService and the router.
 */
import {
  adminV1,
  clientV1,
  ControllerService,
  implement,
  serviceDefinition,
} from "@jumpstarter/protos";
import { errorToStatus } from "@jumpstarter/lib/wire";
import { Authority } from "./auth.ts";
import { ControllerCore, type LeaseEngine } from "./core.ts";
import { Router, routerServiceDefinition } from "./router.ts";
import { type GrpcPort, serveGrpcPort, serveSplicePort } from "./grpc_port.ts";
import { adminHandlers } from "./services/admin_service.ts";
import { clientHandlers } from "./services/client_service.ts";
import { controllerHandlers } from "./services/controller_service.ts";
import { loadKeyMaterial } from "./state_dir.ts";
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
  /**
   * The endpoint written into the configs `jmp admin create` makes, when not `advertise`: a gRPC
   * target naming every replica (`ipv4:IP:PORT,IP:PORT`, or a DNS name resolving to them all).
   */
  configEndpoint?: string;
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

/** Starts the controller. */
export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { store, keys } = await openStoreAndKeys(
    options.store,
    options.stateDir,
    () => loadKeyMaterial(options.stateDir, "jmp-controller"),
  );
  const authority = await Authority.create(keys);
  if (options.authConfig?.jwt.length) authority.oidc = new OidcVerifier(options.authConfig);
  let grpcPort: GrpcPort;
  try {
    grpcPort = await serveGrpcPort({ ...options, socketName: "grpc.sock" });
  } catch (error) {
    await store.close();
    throw error;
  }
  const { server, port, endpoint, caBase64 } = grpcPort;
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
    ...(options.configEndpoint ? { configEndpoint: options.configEndpoint } : {}),
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
      await grpcPort.close();
      await store.close();
      throw error;
    }
  }
  const router = new Router(authority);
  const splice = await serveSplicePort(authority, grpcPort, options.listen);
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
      await grpcPort.close();
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
