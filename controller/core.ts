/**
 * The controller's state and rules, shared by its gRPC services: the store, the token authority,
 * the lease engine, live exporter connections, and the wake-up loop that expires and assigns
 * leases exactly when something is due.
 */
import type * as grpc from "@grpc/grpc-js";
import type { Authority } from "./auth.ts";
import { authenticate, type Caller, type CallerKind } from "./caller.ts";
import { ExporterHub } from "./hub.ts";
import type { ExporterRecord, ExporterStatusName, LeaseRecord } from "./model.ts";
import type { Store } from "./store/mod.ts";

/** An exporter counts as online this long after it was last seen. */
export const ONLINE_WINDOW_MS = 60_000;

/** What a new lease asks for. */
export interface LeaseSpec {
  namespace: string;
  client: string;
  selector: string;
  exporterName?: string;
  duration?: number;
  beginTime?: number;
  endTime?: number;
  tags?: Record<string, string>;
  name?: string;
}

/** The lease rules (selectors, queue, expiry), over the store. */
export interface LeaseEngine {
  create(spec: LeaseSpec): Promise<{ lease: LeaseRecord; changed: LeaseRecord[] }>;
  update(
    namespace: string,
    name: string,
    changes: { duration?: number; beginTime?: number; endTime?: number },
  ): Promise<{ lease: LeaseRecord; changed: LeaseRecord[] }>;
  release(namespace: string, name: string, reason: string): Promise<LeaseRecord[]>;
  /** Release on behalf of a client or exporter, which must hold the lease. */
  releaseFor(
    namespace: string,
    name: string,
    who: { client?: string; exporter?: string; message?: string },
  ): Promise<LeaseRecord[]>;
  /** Stores an exporter record and schedules if that matters; returns changed leases. */
  exporterUpdated(record: ExporterRecord): Promise<LeaseRecord[]>;
  /** Expires and assigns what is due; returns changed leases. */
  reconcile(): Promise<LeaseRecord[]>;
  queueInfo(
    namespace: string,
    name: string,
  ): { position: number; estimatedWaitMs?: number } | undefined;
  /** The earliest time a lease expires or a scheduled one may begin. */
  nextWakeup(): number | undefined;
  /** The lease an exporter currently holds, if any. */
  activeLease(namespace: string, exporter: string): LeaseRecord | undefined;
}

/** Options of {@linkcode ControllerCore}. */
export interface CoreOptions {
  store: Store;
  authority: Authority;
  /** `host:port` clients and exporters use (and the router endpoint handed out by Dial). */
  endpoint: string;
  /** Base64 PEM of the certificate clients should trust ("" when plaintext or a public CA). */
  caBase64: string;
  now?: () => number;
  makeEngine(core: ControllerCore): LeaseEngine;
}

export class ControllerCore {
  readonly store: Store;
  readonly authority: Authority;
  readonly endpoint: string;
  readonly caBase64: string;
  readonly hub: ExporterHub = new ExporterHub();
  readonly now: () => number;
  readonly engine: LeaseEngine;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #reconciling: Promise<void> = Promise.resolve();

  constructor(options: CoreOptions) {
    this.store = options.store;
    this.authority = options.authority;
    this.endpoint = options.endpoint;
    this.caBase64 = options.caBase64;
    this.now = options.now ?? (() => Date.now());
    this.engine = options.makeEngine(this);
  }

  authenticate(metadata: grpc.Metadata, allowed: readonly CallerKind[]): Promise<Caller> {
    return authenticate(metadata, this.authority, this.store, allowed);
  }

  /** Whether the exporter has a Status stream open or was seen within the window. */
  isOnline(exporter: ExporterRecord): boolean {
    return this.hub.connected(exporter.namespace, exporter.name) ||
      this.now() - exporter.lastSeen < ONLINE_WINDOW_MS;
  }

  /** The exporter's status as shown to clients: Offline when not online. */
  exporterStatus(exporter: ExporterRecord): ExporterStatusName {
    return this.isOnline(exporter) ? exporter.status : "Offline";
  }

  /** The lease an exporter currently holds (Ready, not ended), if any. */
  activeLeaseOf(exporter: ExporterRecord): LeaseRecord | undefined {
    return this.engine.activeLease(exporter.namespace, exporter.name);
  }

  /** Pushes the current lease state to the exporters of `changed` leases. */
  publish(changed: readonly LeaseRecord[]): void {
    const exporters = new Set(
      changed.filter((lease) => lease.exporter).map((lease) =>
        `${lease.namespace}/${lease.exporter}`
      ),
    );
    for (const key of exporters) {
      const [namespace, name] = key.split("/") as [string, string];
      const exporter = this.store.exporters.get(namespace, name);
      if (exporter) this.hub.notify(namespace, name, this.statusUpdate(exporter));
    }
    this.#schedule();
  }

  /** What the exporter's Status stream should say now. */
  statusUpdate(exporter: ExporterRecord) {
    const lease = this.activeLeaseOf(exporter);
    return lease
      ? { leased: true, leaseName: lease.name, clientName: lease.client }
      : { leased: false };
  }

  /** Runs the engine's reconcile (serialised) and publishes what changed. */
  reconcile(): Promise<void> {
    this.#reconciling = this.#reconciling.then(async () => {
      if (this.#closed) return;
      this.publish(await this.engine.reconcile());
    }).catch(() => {});
    return this.#reconciling;
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const next = this.engine.nextWakeup();
    if (next === undefined) return;
    const delay = Math.max(0, Math.min(next - this.now(), 2 ** 31 - 1));
    this.#timer = setTimeout(() => void this.reconcile(), delay);
  }

  async releaseLeasesOfClient(namespace: string, client: string): Promise<void> {
    for (const lease of this.store.leases.list(namespace)) {
      if (lease.client === client && !lease.ended) {
        this.publish(await this.engine.release(namespace, lease.name, "client deleted"));
      }
    }
  }

  async releaseLeasesOfExporter(namespace: string, exporter: string): Promise<void> {
    for (const lease of this.store.leases.list(namespace)) {
      if (lease.exporter === exporter && !lease.ended) {
        this.publish(await this.engine.release(namespace, lease.name, "exporter deleted"));
      }
    }
  }

  /** Updates an exporter record and lets the engine react (a newly available board). */
  async updateExporter(record: ExporterRecord): Promise<void> {
    this.publish(await this.engine.exporterUpdated(record));
  }

  async start(): Promise<void> {
    await this.reconcile();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
