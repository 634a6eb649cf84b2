/**
 * The controller's state and rules, shared by its gRPC services: the store, the token authority,
 * the lease engine, live exporter connections, and the wake-up loop that expires and assigns
 * leases exactly when something is due.
 */
import type * as grpc from "@grpc/grpc-js";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import type { Authority } from "./auth.ts";
import { authenticate, type Caller, type CallerKind } from "./caller.ts";
import { ExporterHub } from "./hub.ts";
import type { ExporterRecord, ExporterStatusName, LeaseRecord } from "./model.ts";
import type { Store } from "./store/mod.ts";
import { oneLine } from "./store/etcd_util.ts";

/**
 * An exporter that has not opened a Status stream since this controller started (it is finding
 * a restarted controller) counts as online this long after it was last seen.
 */
export const ONLINE_WINDOW_MS = 60_000;
/**
 * An exporter whose last Status stream closed counts as online this much longer, time for a
 * live process to reconnect after a network blip (ours retries after 0.5 s, upstream's after
 * 0.5 to 3 s); a killed one shows Offline after it.
 */
export const RECONNECT_GRACE_MS = 5_000;
/**
 * While a lease waits for a board, the deciding controller looks again at least this often, and
 * this soon after a pass failed (an etcd hiccup, a write another replica beat): a missed or
 * failed wake-up delays a grant by seconds instead of leaving the lease queued for good.
 */
export const RECHECK_MS = 2_000;
/** How long an exporter host that vanished (no FIN, no RST) keeps its streams: keepalive. */
export const STALE_STREAM_MS = 20_000;

/** The other controller replicas on the same etcd, as the core sees them (replica.ts). */
export interface Peers {
  /** Whether this replica runs the timers and passes that expire and assign leases. */
  readonly isLeader: boolean;
  /** Whether another replica holds a Status stream of the exporter. */
  connectedElsewhere(namespace: string, name: string): boolean;
  /** The exporter processes with Status streams on other replicas (see hub.instances). */
  instancesElsewhere(namespace: string, name: string): (string | undefined)[];
  /** Tells the others the processes holding Status streams of the exporter here (none: []). */
  exporterConnected(namespace: string, name: string, instances: (string | undefined)[]): void;
  /** A router process's endpoint for a Dial of the lease (router_pick.ts); none: our own. */
  routerFor(namespace: string, lease: string): Promise<string | undefined>;
}

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
  /**
   * The earliest time a lease expires or a scheduled one may begin; with `pendingRecheckMs`, a
   * lease waiting for a board also wakes that long from now.
   */
  nextWakeup(pendingRecheckMs?: number): number | undefined;
  /** The lease an exporter currently holds, if any. */
  activeLease(namespace: string, exporter: string): LeaseRecord | undefined;
}

/** Options of {@linkcode ControllerCore}. */
export interface CoreOptions {
  store: Store;
  authority: Authority;
  /** `host:port` clients and exporters use (and the router endpoint handed out by Dial). */
  endpoint: string;
  /** The endpoint written into new configs (a gRPC target naming every replica); default `endpoint`. */
  configEndpoint?: string;
  /** Base64 PEM of the certificate clients should trust ("" when plaintext or a public CA). */
  caBase64: string;
  now?: () => number;
  makeEngine(core: ControllerCore): LeaseEngine;
}

export class ControllerCore {
  readonly store: Store;
  readonly authority: Authority;
  readonly endpoint: string;
  readonly configEndpoint: string;
  readonly caBase64: string;
  readonly hub: ExporterHub;
  readonly now: () => number;
  readonly engine: LeaseEngine;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When a failed lease pass is tried again (undefined while passes work). */
  #retryAt: number | undefined;
  /** Pending leases whose client waits for them: when each counts as abandoned. */
  readonly #waiters = new Map<string, { namespace: string; name: string; deadline: number }>();
  #waiterTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * The exporter process that last passed {@linkcode assertSoleInstance} for each exporter, and
   * until when that counts without a Status stream of its own: a process between its Register
   * and its Status stream already holds the exporter.
   */
  readonly #claims = new Map<string, { instance: string; until: number }>();
  #closed = false;
  #reconciling: Promise<void> = Promise.resolve();
  /** A reconcile queued behind the running one (more requests meanwhile share it). */
  #queuedReconcile: Promise<void> | undefined;
  /** Set when the controller is one of several replicas; undefined when it is alone. */
  peers: Peers | undefined;
  /** When an exporter's last Status stream on another replica went away. */
  readonly #goneElsewhere = new Map<string, number>();

  constructor(options: CoreOptions) {
    this.store = options.store;
    this.authority = options.authority;
    this.endpoint = options.endpoint;
    this.configEndpoint = options.configEndpoint ?? options.endpoint;
    this.caBase64 = options.caBase64;
    this.now = options.now ?? (() => Date.now());
    // an exporter (re)connecting may be what a queued lease waits for
    this.hub = new ExporterHub(this.now, (namespace, name) => {
      this.#dropClaimOfGoneStream(namespace, name);
      this.peers?.exporterConnected(namespace, name, this.hub.instances(namespace, name));
      void this.reconcile();
    });
    this.engine = options.makeEngine(this);
  }

  authenticate(metadata: grpc.Metadata, allowed: readonly CallerKind[]): Promise<Caller> {
    return authenticate(metadata, this.authority, this.store, allowed);
  }

  /**
   * Whether the exporter has a Status stream open, lost its last one less than
   * {@linkcode RECONNECT_GRACE_MS} ago, or (not connected since this controller started) was
   * seen within {@linkcode ONLINE_WINDOW_MS}.
   */
  isOnline(exporter: ExporterRecord): boolean {
    const { namespace, name } = exporter;
    if (this.hub.connected(namespace, name)) return true;
    if (this.peers?.connectedElsewhere(namespace, name)) return true;
    const goneHere = this.hub.disconnectedAt(namespace, name);
    const goneThere = this.#goneElsewhere.get(`${namespace}/${name}`);
    if (goneHere !== undefined || goneThere !== undefined) {
      return this.now() - Math.max(goneHere ?? 0, goneThere ?? 0) < RECONNECT_GRACE_MS;
    }
    return this.now() - exporter.lastSeen < ONLINE_WINDOW_MS;
  }

  /**
   * One process per exporter: refuses a call from process `instance` while another process
   * holds the exporter, that is has its Status stream open or made a call within
   * {@linkcode STALE_STREAM_MS} without having one yet (registered, about to open it). A second
   * `jmp run` with the same credentials is told so at registration (and stops), even when both
   * register in the same instant: the check and the claim are one synchronous step. Calls that
   * do not name their process (upstream exporters, which also re-register from the same
   * process) are let through.
   */
  assertSoleInstance(namespace: string, name: string, instance: string | undefined): void {
    if (instance === undefined) return;
    const key = `${namespace}/${name}`;
    const claim = this.#claims.get(key);
    const claimedByOther = claim !== undefined && claim.instance !== instance &&
      claim.until > this.now();
    const streams = [
      ...this.hub.instances(namespace, name),
      ...this.peers?.instancesElsewhere(namespace, name) ?? [],
    ];
    const streamsOfOthers = streams.some((other) => other !== instance);
    if (!claimedByOther && !streamsOfOthers) {
      this.#claims.set(key, { instance, until: this.now() + STALE_STREAM_MS });
      return;
    }
    throw new JumpstarterError(
      `exporter ${namespace}/${name} is already connected from another process with the same ` +
        `credentials: stop that one first (a stopped or unreachable one is noticed within ` +
        `${Math.ceil(STALE_STREAM_MS / 1000)} s)`,
      { code: Code.FAILED_PRECONDITION },
    );
  }

  /** Lets another process take the exporter at once: `instance` unregistered. */
  releaseInstance(namespace: string, name: string, instance: string | undefined): void {
    const key = `${namespace}/${name}`;
    if (instance !== undefined && this.#claims.get(key)?.instance === instance) {
      this.#claims.delete(key);
    }
  }

  /** A claimant whose Status streams all closed (killed, or a blip) holds the exporter no more. */
  #dropClaimOfGoneStream(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const claim = this.#claims.get(key);
    if (claim && !this.hub.instances(namespace, name).includes(claim.instance)) {
      this.#claims.delete(key);
    }
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

  /** Another replica's Status streams of the exporter appeared or went: it may matter. */
  peerExporterChanged(namespace: string, name: string): void {
    if (!this.peers?.connectedElsewhere(namespace, name)) {
      this.#goneElsewhere.set(`${namespace}/${name}`, this.now());
    }
    void this.reconcile();
  }

  /**
   * Runs the engine's reconcile (serialised) and publishes what changed; only on the leader
   * when there are replicas. Calls while one waits to run share it.
   */
  reconcile(): Promise<void> {
    if (this.peers && !this.peers.isLeader) return Promise.resolve();
    this.#queuedReconcile ??= this.#reconciling = this.#reconciling.then(async () => {
      this.#queuedReconcile = undefined;
      if (this.#closed) return;
      const changed = await this.engine.reconcile();
      if (this.#retryAt !== undefined) console.error("controller: lease pass works again");
      this.#retryAt = undefined;
      this.publish(changed);
    }).catch((error) => {
      if (this.#closed) return;
      // said once per run of failures: an etcd that is down would repeat it every RECHECK_MS
      if (this.#retryAt === undefined) {
        console.error(`controller: lease pass failed, trying again every 2 s: ${oneLine(error)}`);
      }
      this.#retryAt = this.now() + RECHECK_MS;
      this.#schedule();
    });
    return this.#queuedReconcile;
  }

  #schedule(): void {
    if (this.#closed || (this.peers && !this.peers.isLeader)) return;
    clearTimeout(this.#timer);
    let next = this.engine.nextWakeup(RECHECK_MS);
    if (this.#retryAt !== undefined) next = Math.min(next ?? Infinity, this.#retryAt);
    if (next === undefined) return;
    const delay = Math.max(0, Math.min(next - this.now(), 2 ** 31 - 1));
    this.#timer = setTimeout(() => void this.reconcile(), delay);
  }

  /**
   * Notes a poll of a pending lease by a client that waits for it (`patienceMs` from
   * `callWaiterPatience`): if the polls stop for longer than that while the lease still
   * waits, its client is gone (killed while queued) and the lease is released, rather than
   * taking the board for its whole duration with nobody there. The rule is stored with the lease,
   * so a restarted controller keeps applying it ({@linkcode ControllerCore.start}).
   */
  noteWaiter(lease: LeaseRecord, patienceMs: number | undefined): void {
    if (patienceMs === undefined || lease.ended || lease.exporter) return;
    const { namespace, name } = lease;
    this.#waitFor(namespace, name, this.now() + patienceMs);
    if (this.store.waiters.get(namespace, name)?.patienceMs !== patienceMs) {
      this.store.waiters.put({ namespace, name, patienceMs }).catch(() => {
        // not kept across a restart; the rule still holds in this process
      });
    }
  }

  #waitFor(namespace: string, name: string, deadline: number): void {
    this.#waiters.set(`${namespace}/${name}`, { namespace, name, deadline });
    this.#armWaiterTimer();
  }

  /** Re-arms the stored waiter rules: each client gets its full patience from now to poll again. */
  async #restoreWaiters(): Promise<void> {
    for (const { namespace, name, patienceMs } of this.store.waiters.list()) {
      const lease = this.store.leases.get(namespace, name);
      if (!lease || lease.ended || lease.exporter) {
        await this.store.waiters.delete(namespace, name).catch(() => {});
      } else if (!this.#waiters.has(`${namespace}/${name}`)) {
        this.#waitFor(namespace, name, this.now() + patienceMs);
      }
    }
  }

  #armWaiterTimer(): void {
    if (this.#closed) return;
    clearTimeout(this.#waiterTimer);
    if (this.#waiters.size === 0) return;
    const next = Math.min(...[...this.#waiters.values()].map((waiter) => waiter.deadline));
    this.#waiterTimer = setTimeout(
      () => void this.#releaseAbandoned(),
      Math.max(0, next - this.now()),
    );
  }

  async #releaseAbandoned(): Promise<void> {
    const now = this.now();
    for (const [key, { namespace, name, deadline }] of [...this.#waiters]) {
      const lease = this.store.leases.get(namespace, name);
      const settled = !lease || lease.ended || Boolean(lease.exporter);
      if (!settled && deadline > now) continue;
      this.#waiters.delete(key);
      if (!settled) {
        await this.engine.release(namespace, name, "its client stopped waiting for it")
          .then((changed) => this.publish(changed), () => {});
      }
      await this.store.waiters.delete(namespace, name).catch(() => {});
    }
    this.#armWaiterTimer();
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
    // a replica hears the polls of its own clients only: it would release the others' leases
    if (!this.peers) await this.#restoreWaiters();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#waiterTimer);
  }
}
