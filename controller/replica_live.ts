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
 */
import { Buffer } from "node:buffer";
import type { Etcd3, IKeyValue, Lease, Watcher } from "etcd3";
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

export interface LiveEvents {
  /** An exporter's presence on some other replica appeared or went. */
  exporterChanged(namespace: string, name: string): void;
  /** A ticket for a Listen stream on this replica; returns whether it was handed over. */
  ticket(namespace: string, lease: string, ticket: Ticket): boolean;
}

const OWN_WRITE_RETRY_MS = 1000;

export class LiveRegistry {
  readonly #client: Etcd3;
  readonly #root: string;
  readonly #self: string;
  readonly #ttl: number;
  readonly #events: LiveEvents;
  readonly #exporters = new Holders();
  readonly #listeners = new Holders();
  /** Keys this replica wrote, rewritten under a new etcd lease if the old one is lost. */
  readonly #own = new Map<string, string>();
  /** The write of each own key in progress (the next one waits for it). */
  readonly #writing = new Map<string, Promise<void>>();
  /** Retries waiting out their pause, woken at once on close. */
  readonly #pauses = new Set<() => void>();
  /** Tickets sent and not yet taken: key -> wake. */
  readonly #sent = new Map<string, () => void>();
  #lease: Lease;
  #watcher: Watcher | undefined;
  #closed = false;

  constructor(client: Etcd3, prefix: string, self: string, ttlSeconds: number, events: LiveEvents) {
    this.#client = client;
    this.#root = `${prefix}live/`;
    this.#self = self;
    this.#ttl = ttlSeconds;
    this.#events = events;
    this.#lease = this.#grant();
  }

  /** Loads what the other replicas hold and watches it from there. */
  async start(): Promise<void> {
    await this.#lease.grant();
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
        await this.#load();
        return;
      } catch (error) {
        console.error(`replica: reloading ${this.#root} failed: ${oneLine(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  #grant(): Lease {
    const lease = this.#client.lease(this.#ttl);
    lease.on("lost", (error) => {
      if (this.#closed) return;
      console.error(`replica: etcd lease lost (${oneLine(error)}); taking a new one`);
      this.#lease = this.#grant();
      for (const [key, value] of this.#own) void this.#setOwn(key, value);
    });
    return lease;
  }

  #delete(key: string): Promise<void> {
    return this.#client.delete().key(key).exec().then(
      () => {},
      (error) => console.error(`replica: deleting ${key} failed: ${oneLine(error)}`),
    );
  }

  /**
   * Makes `key` hold `value` (or not exist) on etcd. Writes of one key run one after the other,
   * each writing what is wanted when it runs, so a quick disconnect and reconnect cannot land in
   * the wrong order; a failed write is tried again each second until it lands or we close.
   */
  #setOwn(key: string, value: string | undefined): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (value !== undefined) this.#own.set(key, value);
    else this.#own.delete(key);
    const write = (this.#writing.get(key) ?? Promise.resolve()).then(() => this.#writeOwn(key));
    this.#writing.set(key, write);
    void write.then(() => {
      if (this.#writing.get(key) === write) this.#writing.delete(key);
    });
    return write;
  }

  async #writeOwn(key: string): Promise<void> {
    while (!this.#closed) {
      const value = this.#own.get(key);
      try {
        if (value === undefined) await this.#client.delete().key(key).exec();
        else await this.#lease.put(key).value(value).exec();
        return;
      } catch (error) {
        console.error(`replica: writing ${key} failed: ${oneLine(error)}; trying again in 1 s`);
        await this.#pause(OWN_WRITE_RETRY_MS);
      }
    }
  }

  /** Waits `ms`, or less if the registry closes meanwhile (no timer outlives it). */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#pauses.add(wake);
    });
  }

  #apply(kv: IKeyValue, present: boolean): void {
    const parts = kv.key.toString().slice(this.#root.length).split("/").map(decodeURIComponent);
    const [kind, a, b, c] = parts;
    if (kind === "exporters" && parts.length === 4 && c !== this.#self) {
      this.#exporters.set(pairKey(a!, b!), c!, present ? kv.value.toString() : undefined);
      this.#events.exporterChanged(a!, b!);
    } else if (kind === "listeners" && parts.length === 4) {
      this.#listeners.set(pairKey(a!, b!), c!, present ? "" : undefined);
    } else if (kind === "tickets" && parts.length === 5) {
      const key = kv.key.toString();
      if (!present) {
        this.#sent.get(key)?.();
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
    void this.#delete(key);
  }

  /**
   * This replica now has Status streams of the exporter from these processes (`instances`, null
   * for one that did not say), or none (empty).
   */
  exporterConnected(namespace: string, name: string, instances: (string | null)[]): Promise<void> {
    return this.#setOwn(
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
    return this.#setOwn(
      `${this.#root}listeners/${enc(namespace)}/${enc(lease)}/${enc(this.#self)}`,
      present ? "" : undefined,
    );
  }

  /** The other replica holding the lease's Listen stream, if any. */
  listenerElsewhere(namespace: string, lease: string): boolean {
    return this.#listeners.heldByOther(pairKey(namespace, lease), this.#self);
  }

  /**
   * Sends a ticket to the replica(s) holding the lease's Listen stream; resolves true once one
   * took it, false if none did within `timeoutMs` (the ticket is then withdrawn).
   */
  async deliver(
    namespace: string,
    lease: string,
    ticket: Ticket,
    timeoutMs: number,
  ): Promise<boolean> {
    const target = this.#listenerReplica(namespace, lease);
    if (target === undefined) return false;
    const key = `${this.#root}tickets/${enc(target)}/${enc(namespace)}/${
      enc(lease)
    }/${crypto.randomUUID()}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const taken = new Promise<boolean>((resolve) => {
      this.#sent.set(key, () => resolve(true));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      await this.#lease.put(key).value(JSON.stringify(ticket)).exec();
      const ok = await taken;
      if (!ok) await this.#delete(key);
      return ok;
    } finally {
      clearTimeout(timer);
      this.#sent.delete(key);
    }
  }

  #listenerReplica(namespace: string, lease: string): string | undefined {
    return this.#listeners.replicas(pairKey(namespace, lease)).find((r) => r !== this.#self);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#pauses]) wake();
    this.#exporters.clear();
    this.#listeners.clear();
    // drops every key this replica wrote at once (the others see it go now, not after the TTL);
    // each step bounded, so a controller cut off from etcd still stops
    await withTimeout(this.#lease.revoke(), 1000, "").catch(() => {});
    if (this.#watcher) await withTimeout(this.#watcher.cancel(), 1000, "").catch(() => {});
  }
}
