/**
 * What controller replicas tell each other through etcd about the connections each one holds,
 * under `<prefix>live/`, every key bound to the writing replica's etcd lease (so it vanishes a
 * TTL after that replica dies):
 *
 * - `exporters/<ns>/<exporter>/<replica>`: the exporter has a Status stream open on that replica
 *   (so every replica, the leader's scheduler above all, counts it online);
 * - `listeners/<ns>/<lease>/<replica>`: the lease's exporter has its Listen stream there;
 * - `tickets/<replica>/<ns>/<lease>/<id>`: a Dial made on another replica, for the Listen stream
 *   on `<replica>`, which hands the ticket over and deletes the key (the dialer waits for that).
 *
 * And, under the etcd lease of a router process (router_server.ts), `routers/<router>`: that
 * router's endpoint, which Dial hands out (router_pick.ts).
 */
import { Buffer } from "node:buffer";
import type { Etcd3, IKeyValue, Watcher } from "etcd3";
import { OwnKeys } from "./etcd_own_keys.ts";
import type { Ticket } from "./hub.ts";
import { oneLine, prefixEnd, withTimeout } from "./store/etcd_util.ts";

const enc = encodeURIComponent;

function pairKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Which replicas hold something for each `namespace/name`, and what each wrote about it. */
class Holders {
  readonly #map = new Map<string, Map<string, string>>();

  set(pair: string, replica: string, value: string | undefined): void {
    let byReplica = this.#map.get(pair);
    if (value !== undefined) {
      if (!byReplica) this.#map.set(pair, byReplica = new Map());
      byReplica.set(replica, value);
    } else if (byReplica?.delete(replica) && byReplica.size === 0) {
      this.#map.delete(pair);
    }
  }

  replicas(pair: string): string[] {
    return [...this.#map.get(pair)?.keys() ?? []];
  }

  /** What the replicas other than `self` wrote. */
  valuesOfOthers(pair: string, self: string): string[] {
    return [...this.#map.get(pair) ?? []].filter(([r]) => r !== self).map(([, value]) => value);
  }

  heldByOther(pair: string, self: string): boolean {
    return this.replicas(pair).some((replica) => replica !== self);
  }

  clear(): void {
    this.#map.clear();
  }
}

/** The key under which router `id` publishes its endpoint (below the store's prefix). */
export function routerKey(prefix: string, id: string): string {
  return `${prefix}live/routers/${enc(id)}`;
}

/** What a router publishes about itself. */
export interface RouterEntry {
  /** The `host:port` clients and exporters reach it at. */
  endpoint: string;
}

export interface LiveEvents {
  /** An exporter's presence on some other replica appeared or went. */
  exporterChanged(namespace: string, name: string): void;
  /** A ticket for a Listen stream on this replica; returns whether it was handed over. */
  ticket(namespace: string, lease: string, ticket: Ticket): boolean;
}

export class LiveRegistry {
  readonly #client: Etcd3;
  readonly #root: string;
  readonly #self: string;
  readonly #events: LiveEvents;
  readonly #exporters = new Holders();
  readonly #listeners = new Holders();
  /** The routers there are: id -> endpoint. */
  readonly #routers = new Map<string, string>();
  /** The keys this replica writes. */
  readonly #own: OwnKeys;
  /** Tickets sent and not yet taken: key -> the listener they went to, and how to settle. */
  readonly #sent = new Map<string, { listener: string; settle: (taken: boolean) => void }>();
  #watcher: Watcher | undefined;
  #closed = false;

  constructor(client: Etcd3, prefix: string, self: string, ttlSeconds: number, events: LiveEvents) {
    this.#client = client;
    this.#root = `${prefix}live/`;
    this.#self = self;
    this.#events = events;
    this.#own = new OwnKeys(client, ttlSeconds, "replica");
  }

  /** Loads what the other replicas hold and watches it from there. */
  async start(): Promise<void> {
    await this.#own.start();
    await this.#load();
  }

  async #load(): Promise<void> {
    const response = await this.#client.kv.range({
      key: Buffer.from(this.#root),
      range_end: prefixEnd(this.#root),
    });
    for (const kv of response.kvs) this.#apply(kv, true);
    const watcher = await this.#client.watch().prefix(this.#root)
      .startRevision(String(Number(response.header.revision) + 1)).create();
    watcher.on("put", (kv) => this.#apply(kv, true));
    watcher.on("delete", (kv) => this.#apply(kv, false));
    // etcd cancels a watch it cannot continue (its revision compacted away): read all again
    watcher.on("error", (error) => void this.#reload(error));
    this.#watcher = watcher;
  }

  async #reload(why: unknown): Promise<void> {
    console.error(`replica: watch on ${this.#root} lost (${oneLine(why)}); reloading`);
    this.#watcher?.removeAllListeners();
    this.#watcher = undefined;
    while (!this.#closed) {
      try {
        this.#exporters.clear();
        this.#listeners.clear();
        this.#routers.clear();
        await this.#load();
        return;
      } catch (error) {
        console.error(`replica: reloading ${this.#root} failed: ${oneLine(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  #apply(kv: IKeyValue, present: boolean): void {
    const parts = kv.key.toString().slice(this.#root.length).split("/").map(decodeURIComponent);
    const [kind, a, b, c] = parts;
    if (kind === "exporters" && parts.length === 4 && c !== this.#self) {
      this.#exporters.set(pairKey(a!, b!), c!, present ? kv.value.toString() : undefined);
      this.#events.exporterChanged(a!, b!);
    } else if (kind === "listeners" && parts.length === 4) {
      this.#listeners.set(pairKey(a!, b!), c!, present ? "" : undefined);
      // a Listen stream gone from its replica takes no more tickets there (its exporter
      // reconnects elsewhere, or that replica died): the tickets sent to it come back
      const listener = kv.key.toString();
      for (const sent of this.#sent.values()) {
        if (!present && sent.listener === listener) sent.settle(false);
      }
    } else if (kind === "routers" && parts.length === 2) {
      const endpoint = present ? routerEndpointOf(kv.value.toString()) : undefined;
      if (endpoint === undefined) this.#routers.delete(a!);
      else this.#routers.set(a!, endpoint);
    } else if (kind === "tickets" && parts.length === 5) {
      const key = kv.key.toString();
      if (!present) {
        this.#sent.get(key)?.settle(true);
      } else if (a === this.#self) {
        this.#take(key, b!, c!, kv.value.toString());
      }
    }
  }

  #take(key: string, namespace: string, lease: string, value: string): void {
    try {
      const ticket = JSON.parse(value) as Ticket;
      if (!this.#events.ticket(namespace, lease, ticket)) return; // the dialer times out
    } catch (error) {
      console.error(`replica: ignoring bad ticket ${key}: ${oneLine(error)}`);
    }
    void this.#client.delete().key(key).exec().catch((error) =>
      console.error(`replica: deleting ${key} failed: ${oneLine(error)}`)
    );
  }

  /**
   * This replica now has Status streams of the exporter from these processes (`instances`, null
   * for one that did not say), or none (empty).
   */
  exporterConnected(namespace: string, name: string, instances: (string | null)[]): Promise<void> {
    return this.#own.set(
      `${this.#root}exporters/${enc(namespace)}/${enc(name)}/${enc(this.#self)}`,
      instances.length > 0 ? JSON.stringify(instances) : undefined,
    );
  }

  /** Whether another replica holds a Status stream of the exporter. */
  connectedElsewhere(namespace: string, name: string): boolean {
    return this.#exporters.heldByOther(pairKey(namespace, name), this.#self);
  }

  /** The exporter processes with Status streams on other replicas (null: one that did not say). */
  instancesElsewhere(namespace: string, name: string): (string | null)[] {
    return this.#exporters.valuesOfOthers(pairKey(namespace, name), this.#self).flatMap((value) => {
      try {
        const parsed: unknown = JSON.parse(value);
        return Array.isArray(parsed) ? parsed.map((i) => typeof i === "string" ? i : null) : [];
      } catch {
        return [null]; // written by a replica that did not record processes
      }
    });
  }

  /** This replica now has (or no longer has) the Listen stream of the lease. */
  listening(namespace: string, lease: string, present: boolean): Promise<void> {
    return this.#own.set(
      `${this.#root}listeners/${enc(namespace)}/${enc(lease)}/${enc(this.#self)}`,
      present ? "" : undefined,
    );
  }

  /** The other replica holding the lease's Listen stream, if any. */
  listenerElsewhere(namespace: string, lease: string): boolean {
    return this.#listeners.heldByOther(pairKey(namespace, lease), this.#self);
  }

  /**
   * Sends a ticket to the replica holding the lease's Listen stream; resolves true once it took
   * it, false if it did not within `timeoutMs`, its Listen stream went away meanwhile, or
   * `signal` aborted (the ticket is then withdrawn).
   */
  async deliver(
    namespace: string,
    lease: string,
    ticket: Ticket,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const target = this.#listenerReplica(namespace, lease);
    if (target === undefined || signal?.aborted) return false;
    const key = `${this.#root}tickets/${enc(target)}/${enc(namespace)}/${
      enc(lease)
    }/${crypto.randomUUID()}`;
    const listener = `${this.#root}listeners/${enc(namespace)}/${enc(lease)}/${enc(target)}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settle = (_taken: boolean) => {};
    const taken = new Promise<boolean>((resolve) => {
      settle = resolve;
      this.#sent.set(key, { listener, settle });
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const withdraw = () => settle(false);
    signal?.addEventListener("abort", withdraw, { once: true });
    try {
      await this.#own.lease.put(key).value(JSON.stringify(ticket)).exec();
      const ok = await taken;
      if (!ok) await this.#client.delete().key(key).exec().catch(() => {});
      return ok;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", withdraw);
      this.#sent.delete(key);
    }
  }

  /** The other replica that took the lease's Listen stream last (an older one may be dead). */
  #listenerReplica(namespace: string, lease: string): string | undefined {
    return this.#listeners.replicas(pairKey(namespace, lease)).filter((r) => r !== this.#self)
      .at(-1);
  }

  /** The routers running now: id -> endpoint. */
  get routers(): ReadonlyMap<string, string> {
    return this.#routers;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#exporters.clear();
    this.#listeners.clear();
    this.#routers.clear();
    // drops every key this replica wrote at once (the others see it go now, not after the TTL);
    // each step bounded, so a controller cut off from etcd still stops
    await this.#own.close();
    if (this.#watcher) await withTimeout(this.#watcher.cancel(), 1000, "").catch(() => {});
  }
}

/** The endpoint a router's entry names; undefined when it is not one. */
function routerEndpointOf(value: string): string | undefined {
  try {
    const entry = JSON.parse(value) as Partial<RouterEntry>;
    return typeof entry.endpoint === "string" && entry.endpoint !== "" ? entry.endpoint : undefined;
  } catch {
    return undefined;
  }
}
