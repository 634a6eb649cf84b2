/**
 * A router process (`jmp-controller router`): RouterService and the splice port on their own,
 * beside the controller replicas of one etcd store. It holds no state: it verifies router tokens
 * with the replicas' keys (its state directory has a copy of their keys.json, checked against
 * the hash they recorded on etcd) and pairs the two ends that present the same one. It publishes
 * its endpoint under `live/routers/` for as long as it runs, so the replicas' Dials hand it out
 * (router_pick.ts); killed, it is passed over at the next Dial, and its key expires a TTL later.
 */
import { Etcd3 } from "etcd3";
import { Registry } from "prom-client";
import { Authority } from "./auth.ts";
import { OwnKeys } from "./etcd_own_keys.ts";
import { type GrpcPortOptions, serveGrpcPort, serveSplicePort } from "./grpc_port.ts";
import { type MetricsServer, registerRouterMetrics, serveMetrics } from "./metrics.ts";
import { checkKeys, fingerprint, REPLICA_TTL_SECONDS } from "./replica.ts";
import { type RouterEntry, routerKey } from "./replica_live.ts";
import { Router, routerServiceDefinition } from "./router.ts";
import { readKeyMaterial } from "./state_dir.ts";
import { parseEtcdUrl, StoreError } from "./store/mod.ts";
import { oneLine, withTimeout } from "./store/etcd_util.ts";

/**
 * Options of {@linkcode startRouter}: its gRPC port's (`advertise`, where clients and exporters
 * reach it) and those below.
 */
export interface RouterOptions extends Omit<GrpcPortOptions, "stateDir" | "socketName"> {
  /** Holds keys.json (copied from a replica) and the TLS certificate. */
  stateDir: string;
  /** `etcd://host:port,...[/prefix]`: the controller replicas' store. */
  store: string;
  /** `host:port` to serve Prometheus `/metrics` on; default: not served. */
  metricsAddress?: string;
  /** Seconds its entry outlives it on etcd, if killed (default 5). */
  ttlSeconds?: number;
  /** Its name among the routers (default: a random one). */
  id?: string;
}

/** A running router process. */
export interface RunningRouter extends AsyncDisposable {
  readonly id: string;
  /** `host:port` it publishes. */
  readonly endpoint: string;
  readonly router: Router;
  /** The `/metrics` port, when `metricsAddress` was given. */
  readonly metricsPort?: number;
  close(): Promise<void>;
}

/** Starts a router process and publishes it to the replicas on `options.store`. */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const location = parseEtcdUrl(options.store);
  const keys = await readKeyMaterial(options.stateDir);
  const client = new Etcd3({ hosts: location.endpoints, dialTimeout: 5000 });
  const closers: (() => Promise<void> | void)[] = [() => client.close()];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const unreachable = `etcd at ${location.endpoints.join(",")} is unreachable`;
    await withTimeout(
      checkKeys(client, location, await fingerprint(keys), "router"),
      5000,
      unreachable,
    )
      .catch((error) => {
        if (error instanceof StoreError) throw error;
        throw new StoreError(`${unreachable}: ${oneLine(error)}`, { cause: error });
      });
    const authority = await Authority.create(keys);
    const port = await serveGrpcPort({ ...options, socketName: "router.sock" });
    closers.push(() => port.close());
    const router = new Router(authority);
    const splice = await serveSplicePort(authority, port, options.listen);
    if (splice) closers.push(() => splice.close());
    router.splice = splice;
    port.server.addService(routerServiceDefinition, router.implementation());
    let metrics: MetricsServer | undefined;
    if (options.metricsAddress) {
      const registry = new Registry();
      registerRouterMetrics(registry, {
        activeSessions: () => router.active + (splice?.active ?? 0),
        bytesRouted: () => router.bytesRouted + (splice?.bytesRouted ?? 0),
      });
      const served = metrics = serveMetrics(registry, options.metricsAddress);
      closers.push(() => served.close());
    }
    const id = options.id ?? crypto.randomUUID();
    const own = new OwnKeys(client, options.ttlSeconds ?? REPLICA_TTL_SECONDS, "router");
    // closed first: the replicas stop handing it out before it stops serving
    closers.push(() => own.close());
    const entry: RouterEntry = { endpoint: port.endpoint };
    await withTimeout(own.start(), 5000, unreachable);
    await withTimeout(
      own.set(routerKey(location.prefix, id), JSON.stringify(entry)),
      5000,
      unreachable,
    );
    return {
      id,
      endpoint: port.endpoint,
      router,
      ...(metrics ? { metricsPort: metrics.port } : {}),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
