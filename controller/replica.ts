/**
 * One controller replica among several sharing an etcd prefix (`jmp-controller --store etcd://`).
 *
 * Every replica serves reads from its watched cache and accepts writes (lease writes guarded by
 * store/etcd_guard.ts). One of them, elected through etcd (etcd3's Election: a key under the
 * replica's etcd lease; the next candidate wins once it is deleted, or expires a TTL after its
 * holder died), is the leader: only it wakes on timers to expire leases and hands free exporters
 * to queued leases when another replica's change makes that possible. The replicas tell each
 * other which exporters and Listen streams each holds (replica_live.ts), so a Dial reaches an
 * exporter connected to another replica; and a Dial hands out a running router process's
 * endpoint when there are any (router_pick.ts). Tokens must verify on every replica: their keys.json
 * must be the same, which the first replica records (as a hash) and the others are checked
 * against.
 */
import { Buffer } from "node:buffer";
import type { Campaign, Etcd3 } from "etcd3";
import type { ControllerCore } from "./core.ts";
import type { LeaseRecord } from "./model.ts";
import { type LiveEvents, LiveRegistry } from "./replica_live.ts";
import { RouterPicker } from "./router_pick.ts";
import type { EtcdStore } from "./store/etcd_store.ts";
import type { EtcdLocation } from "./store/etcd_keys.ts";
import { oneLine, withTimeout } from "./store/etcd_util.ts";
import { StoreError } from "./store/types.ts";

/** Default TTL (seconds) of a replica's etcd leases: how long a dead leader keeps leading. */
export const REPLICA_TTL_SECONDS = 5;

export interface ReplicaOptions {
  /** This replica's name among the others (default: a random one). */
  id?: string;
  ttlSeconds?: number;
  /** A hash of the signing keys, the same on every replica. */
  keysFingerprint: string;
}

/** The SHA-256 of key material, as hex. */
export async function fingerprint(material: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(material));
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("hex");
}

export class Replica {
  readonly id: string;
  readonly live: LiveRegistry;
  readonly #store: EtcdStore;
  readonly #ttl: number;
  readonly #onLeader = new Set<() => void>();
  readonly #onClose: (() => void)[] = [];
  #campaign: Campaign | undefined;
  #leader = false;
  #closed = false;
  /** When this replica started campaigning, and when it was elected (ms since the epoch). */
  campaignedAt = 0;
  electedAt: number | undefined;

  private constructor(store: EtcdStore, id: string, ttl: number, events: LiveEvents) {
    this.#store = store;
    this.id = id;
    this.#ttl = ttl;
    this.live = new LiveRegistry(store.client, store.keys.prefix, id, ttl, events);
  }

  /**
   * Joins the replicas on `store`'s prefix: checks the keys against theirs, loads what they
   * hold, and starts campaigning for leadership (`isLeader` turns true once elected).
   */
  static async join(
    store: EtcdStore,
    options: ReplicaOptions,
    events: LiveEvents,
  ): Promise<Replica> {
    await checkKeys(
      store.client,
      { endpoints: store.endpoints, prefix: store.keys.prefix },
      options.keysFingerprint,
    );
    const replica = new Replica(
      store,
      options.id ?? crypto.randomUUID(),
      options.ttlSeconds ?? REPLICA_TTL_SECONDS,
      events,
    );
    try {
      await replica.live.start();
    } catch (error) {
      await replica.close();
      throw new StoreError(`joining the controller replicas failed: ${oneLine(error)}`, {
        cause: error,
      });
    }
    replica.#campaignNow();
    return replica;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** Calls `listener` each time this replica becomes the leader. */
  onLeadership(listener: () => void): void {
    this.#onLeader.add(listener);
  }

  /** Calls `listener` when the replica closes. */
  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }

  #campaignNow(): void {
    if (this.#closed) return;
    this.campaignedAt = Date.now();
    const campaign = this.#store.client.namespace(this.#store.keys.prefix)
      .election("controller", this.#ttl).campaign(this.id);
    this.#campaign = campaign;
    campaign.on("elected", () => {
      if (this.#closed || this.#campaign !== campaign) return;
      this.#leader = true;
      this.electedAt = Date.now();
      console.error(`controller replica ${this.id} is the leader`);
      for (const listener of this.#onLeader) listener();
    });
    campaign.on("error", (error) => {
      if (this.#closed || this.#campaign !== campaign) return;
      // lost its etcd lease (cut off from etcd longer than the TTL): another may lead by now
      this.#leader = false;
      console.error(`controller replica ${this.id} lost its candidacy (${oneLine(error)})`);
      setTimeout(() => this.#campaignNow(), 1000);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#leader = false;
    for (const listener of this.#onClose) listener();
    // resigning hands the leadership over at once rather than after the TTL; bounded, so a
    // controller cut off from etcd still stops (the others then wait for the TTL)
    await withTimeout(this.#campaign?.resign() ?? Promise.resolve(), 1000, "").catch(() => {});
    await this.live.close();
  }
}

/**
 * Records the keys' hash on the first start; refuses a replica (or a router process: `who`) whose
 * keys differ from it.
 */
export async function checkKeys(
  client: Etcd3,
  location: EtcdLocation,
  hash: string,
  who = "controller",
): Promise<void> {
  const key = Buffer.from(`${location.prefix}keys-sha256`);
  const response = await client.kv.txn({
    compare: [{ key, target: "Create", result: "Equal", create_revision: 0 }],
    success: [{ request_put: { key, value: Buffer.from(hash) } }],
    failure: [{ request_range: { key } }],
  });
  if (response.succeeded) return;
  const recorded = response.responses[0]!.response_range.kvs[0]?.value.toString();
  if (recorded !== undefined && recorded !== hash) {
    throw new StoreError(
      `the keys.json of this ${who} differ from those of the replicas already on ` +
        `${location.endpoints.join(",")}${location.prefix}: tokens would not verify across ` +
        `replicas (copy keys.json from the state directory of a running replica)`,
    );
  }
}

/**
 * Makes `core` one replica among those on `store`'s prefix: joins them, counts exporters
 * connected to the others as online, sends Dial tickets to Listen streams held elsewhere, tells
 * local exporters about lease changes made elsewhere, and (as the leader) schedules on them.
 */
export async function connectReplica(
  core: ControllerCore,
  store: EtcdStore,
  options: ReplicaOptions,
): Promise<Replica> {
  const replica = await Replica.join(store, options, {
    exporterChanged: (namespace, name) => core.peerExporterChanged(namespace, name),
    ticket: (namespace, lease, ticket) => core.hub.handOver(namespace, lease, ticket),
  });
  const routers = new RouterPicker(() => replica.live.routers);
  core.peers = {
    get isLeader() {
      return replica.isLeader;
    },
    connectedElsewhere: (namespace, name) => replica.live.connectedElsewhere(namespace, name),
    instancesElsewhere: (namespace, name) =>
      replica.live.instancesElsewhere(namespace, name).map((i) => i ?? undefined),
    exporterConnected: (namespace, name, instances) =>
      void replica.live.exporterConnected(namespace, name, instances.map((i) => i ?? null)),
    routerFor: (namespace, lease) => routers.pick(`${namespace}/${lease}`),
  };
  core.hub.remote = replica.live;
  const unsubscribe = store.onRemoteChange((change) => {
    if (change.collection === "leases") {
      // the exporters of the lease before and after hear about it (publish also re-arms timers)
      core.publish([change.before, change.after].filter((l) => l !== undefined) as LeaseRecord[]);
    }
    if (change.collection === "leases" || change.collection === "exporters") void core.reconcile();
  });
  replica.onLeadership(() => void core.reconcile());
  replica.onClose(unsubscribe);
  return replica;
}
