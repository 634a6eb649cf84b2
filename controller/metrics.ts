/**
 * The controller's and router's Prometheus metrics, served as text on `/metrics` by a small HTTP
 * listener (`--metrics-address`). Upstream's lease counter keeps its name
 * (`jumpstarter_lease_acquisitions_total{result}`); the rest are ours: leases active and queued,
 * the wait from creation to grant, tunnels being routed and the bytes they carried.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { parseHostPort } from "@jumpstarter/lib/config";
import type { LeaseRecord } from "./model.ts";
import type { LeaseEngine } from "./core.ts";

/** What a router's metrics read at scrape time. */
export interface RouterSources {
  /** Tunnels currently paired and copying (gRPC router and splice port). */
  activeSessions(): number;
  /** Payload bytes the router has copied since start, both directions. */
  bytesRouted(): number;
}

/** What the metrics read at scrape time. */
export interface MetricsSources extends RouterSources {
  /** Every lease in the store (ended ones included). */
  leases(): readonly LeaseRecord[];
}

/**
 * Registers the router's metrics (a controller's own router, or a router process): tunnels being
 * routed and the bytes they carried.
 */
export function registerRouterMetrics(registry: Registry, sources: RouterSources): void {
  const registers = [registry];
  new Gauge({
    name: "jumpstarter_active_sessions",
    help: "Router tunnels currently paired",
    registers,
    collect() {
      this.set(sources.activeSessions());
    },
  });
  new Counter({
    name: "jumpstarter_router_bytes_total",
    help: "Bytes the router copied between tunnel ends",
    registers,
    collect() {
      this.reset();
      this.inc(sources.bytesRouted());
    },
  });
}

/** Lease wait buckets, seconds: from an immediate grant to an hour in the queue. */
const WAIT_BUCKETS = [0.005, 0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600];

/** The controller's metric registry. */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly #acquisitions: Counter<"result">;
  readonly #wait: Histogram;
  /** Leases seen granted or failed, so that each is counted once; forgotten once ended. */
  readonly #counted = new Set<string>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.#acquisitions = new Counter({
      name: "jumpstarter_lease_acquisitions_total",
      help: "Lease acquire attempts by result (success: an exporter was granted)",
      labelNames: ["result"],
      registers,
    });
    for (const result of ["success", "failure"]) this.#acquisitions.inc({ result }, 0);
    this.#wait = new Histogram({
      name: "jumpstarter_lease_wait_seconds",
      help: "Time from a lease's creation to its grant",
      buckets: WAIT_BUCKETS,
      registers,
    });
    const countLeases = (queued: boolean) =>
      sources.leases().filter((lease) => !lease.ended && !lease.exporter === queued).length;
    new Gauge({
      name: "jumpstarter_leases_active",
      help: "Leases holding an exporter",
      registers,
      collect() {
        this.set(countLeases(false));
      },
    });
    new Gauge({
      name: "jumpstarter_lease_queue_length",
      help: "Leases waiting for an exporter",
      registers,
      collect() {
        this.set(countLeases(true));
      },
    });
    registerRouterMetrics(this.registry, sources);
  }

  /** Counts grants (with their wait) and leases that ended without one. */
  observe(changed: readonly LeaseRecord[]): void {
    // one lease may be reported twice in a batch (created and changed): its last state counts
    const latest = new Map(changed.map((lease) => [`${lease.namespace}/${lease.name}`, lease]));
    for (const [key, lease] of latest) {
      if (this.#counted.has(key)) {
        if (lease.ended) this.#counted.delete(key);
        continue;
      }
      if (lease.exporter) {
        // an ended lease this replica never saw granted was granted by another replica (or
        // before a restart) and counted there: counting it here would count it twice
        if (lease.ended) continue;
        this.#acquisitions.inc({ result: "success" });
        const granted = lease.effectiveBeginTime ?? lease.createdAt;
        this.#wait.observe(Math.max(0, granted - lease.createdAt) / 1000);
        this.#counted.add(key);
      } else if (lease.ended) {
        this.#acquisitions.inc({ result: "failure" });
      }
    }
  }

  /** Wraps an engine so every lease change it reports is observed. */
  watch(engine: LeaseEngine): LeaseEngine {
    const seen = <T extends LeaseRecord[]>(changed: T) => (this.observe(changed), changed);
    return {
      ...engine,
      create: async (spec) => {
        const result = await engine.create(spec);
        this.observe([result.lease, ...result.changed]);
        return result;
      },
      update: async (namespace, name, changes) => {
        const result = await engine.update(namespace, name, changes);
        this.observe([result.lease, ...result.changed]);
        return result;
      },
      release: async (...args) => seen(await engine.release(...args)),
      releaseFor: async (...args) => seen(await engine.releaseFor(...args)),
      exporterUpdated: async (record) => seen(await engine.exporterUpdated(record)),
      reconcile: async () => seen(await engine.reconcile()),
    };
  }
}

/** A running `/metrics` listener. */
export interface MetricsServer extends AsyncDisposable {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `registry` as Prometheus text on `http://address/metrics`.
 *
 * @throws {Error} naming `address` when it cannot be listened on.
 */
export function serveMetrics(registry: Registry, address: string): MetricsServer {
  const { host, port } = parseHostPort(address, "0.0.0.0");
  const handler = async (request: Request) => {
    if (new URL(request.url).pathname !== "/metrics") {
      return new Response("not found: only /metrics is served here\n", { status: 404 });
    }
    return new Response(await registry.metrics(), {
      headers: { "content-type": registry.contentType },
    });
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: host, port, onListen: () => {} }, handler);
  } catch (error) {
    throw new Error(`Cannot serve metrics on ${address}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const close = () => server.shutdown();
  return { port: server.addr.port, close, [Symbol.asyncDispose]: close };
}
