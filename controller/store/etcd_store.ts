/**
 * The store on an etcd cluster (`jmp-controller --store etcd://...`), which controller replicas
 * may share: lease writes are guarded against each other's (etcd_guard.ts) and `onRemoteChange`
 * tells of the others' changes. Every record is one key (see etcd_keys.ts). Opening loads the
 * prefix at one revision and watches it from the next, so reads stay synchronous from an
 * in-memory cache that other replicas' writes reach within a watch round trip. Writes are queued
 * in call order and sent as transactions (several writes may share one); a write's promise
 * resolves once etcd committed it (durable on a quorum), and the cache shows it (or a later change
 * of its keys, which the watch may bring first) then. Each cached key remembers the revision it was
 * last changed at, so a change older than what the cache holds is ignored, from the watch or from
 * a write's answer. `nextSequence` is a compare-and-swap on the counter key. A watch etcd cancels
 * (its revision was compacted away while cut off) is replaced by reading the whole prefix again.
 */
import { Buffer } from "node:buffer";
import { Etcd3, type IKeyValue, type IRequestOp, type Watcher } from "etcd3";
import type { ClientRecord, ExporterRecord, LeaseRecord, WaiterRecord } from "../model.ts";
import { StateCollection } from "./collection.ts";
import { ChangeFeed, type RemoteChange } from "./etcd_changes.ts";
import { batchLength, HolderBook, StoreConflictError } from "./etcd_guard.ts";
import { EtcdKeys, type EtcdLocation } from "./etcd_keys.ts";
import { oneLine, prefixEnd, withTimeout } from "./etcd_util.ts";
import { StoreState } from "./state.ts";
import {
  assertKeyed,
  COLLECTION_NAMES,
  type Keyed,
  type Store,
  StoreCorruptError,
  StoreError,
  type StoreOp,
} from "./types.ts";

export interface EtcdStoreOptions extends EtcdLocation {
  /** How long opening may take to reach etcd before failing (default 5000 ms). */
  connectTimeoutMs?: number;
}

interface Pending {
  op: StoreOp;
  /** For a counter change: the new value from the current one. */
  next?: (current: number) => number;
  resolve: (result: boolean) => void;
  reject: (error: unknown) => void;
}

export class EtcdStore implements Store {
  readonly clients: StateCollection<ClientRecord>;
  readonly exporters: StateCollection<ExporterRecord>;
  readonly leases: StateCollection<LeaseRecord>;
  readonly waiters: StateCollection<WaiterRecord>;
  readonly client: Etcd3;
  readonly keys: EtcdKeys;
  readonly endpoints: string[];

  #state = new StoreState();
  /** Record key -> revision of the change the cache holds (deletes kept until the watch passes). */
  #revisions = new Map<string, number>();
  #tombstones = new Map<string, number>();
  #sequenceModRevision = 0;
  /** The last revision the watch (or the initial load) delivered. */
  #revision = 0;
  #revisionWaiters: { revision: number; wake: () => void }[] = [];
  /** The revision of this store's last committed write. */
  #lastWrite = 0;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;
  #watcher: Watcher | undefined;
  #reloading = false;
  readonly #holders: HolderBook;
  readonly #changes = new ChangeFeed();
  /** How many times the watch was lost (cancelled by etcd) and the prefix reloaded. */
  reloads = 0;

  private constructor(client: Etcd3, options: EtcdStoreOptions) {
    this.client = client;
    this.keys = new EtcdKeys(options.prefix);
    this.endpoints = options.endpoints;
    this.#holders = new HolderBook(this.keys);
    const commit = (op: StoreOp) => this.#enqueue(op);
    this.clients = new StateCollection("clients", this.#state, commit);
    this.exporters = new StateCollection("exporters", this.#state, commit);
    this.leases = new StateCollection("leases", this.#state, commit);
    this.waiters = new StateCollection("waiters", this.#state, commit);
  }

  /** Connects, loads the prefix and starts watching it; unreachable etcd fails in one line. */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const client = new Etcd3({ hosts: options.endpoints, dialTimeout: timeoutMs });
    const store = new EtcdStore(client, options);
    try {
      await withTimeout(
        store.#load(),
        timeoutMs,
        `etcd at ${options.endpoints.join(",")} is unreachable`,
      );
    } catch (error) {
      client.close();
      if (error instanceof StoreError) throw error;
      throw new StoreError(
        `etcd at ${options.endpoints.join(",")} is unreachable: ${oneLine(error)}`,
        { cause: error },
      );
    }
    return store;
  }

  /** Reads the prefix at one revision into the cache, then watches it from the next. */
  async #load(): Promise<void> {
    const response = await this.client.kv.range({
      key: Buffer.from(this.keys.prefix),
      range_end: prefixEnd(this.keys.prefix),
    });
    const revision = Number(response.header.revision);
    const present = new Set(response.kvs.map((kv) => kv.key.toString()));
    this.#forgetMissing(present, revision);
    this.#holders.keepOnly(present);
    for (const kv of response.kvs) this.#applyPut(kv, this.#revision === 0);
    const watcher = await this.client.watch().prefix(this.keys.prefix)
      .startRevision(String(revision + 1)).create();
    watcher.on("data", (res) => {
      for (const event of res.events) {
        if (event.type === "Put") this.#applyPut(event.kv, false);
        else this.#applyDelete(event.kv);
      }
      this.#advance(Number(res.header.revision));
    });
    // etcd cancels a watch it cannot continue (its start revision was compacted away)
    watcher.on("error", (error) => void this.#reload(error));
    this.#watcher = watcher;
    this.#advance(revision);
  }

  /** On a reload: drops cached records etcd no longer holds (unless written after `revision`). */
  #forgetMissing(present: Set<string>, revision: number): void {
    for (const collection of COLLECTION_NAMES) {
      for (const { namespace, name } of this.#state.list(collection)) {
        const key = this.keys.record(collection, namespace, name);
        if (present.has(key) || (this.#revisions.get(key) ?? 0) > revision) continue;
        this.#revisions.delete(key);
        this.#state.apply({ op: "delete", collection, namespace, name });
      }
    }
  }

  /** The watch was lost: reads the whole prefix again (retrying each second) and re-watches. */
  async #reload(why: unknown): Promise<void> {
    if (this.#closed || this.#reloading) return;
    this.#reloading = true;
    console.error(`etcd store: watch on ${this.keys.prefix} lost (${oneLine(why)}); reloading`);
    try {
      // etcd already ended this watch: cancelling it again would wait for an answer forever
      this.#watcher?.removeAllListeners();
      this.#watcher = undefined;
      while (!this.#closed) {
        try {
          await this.#load();
          this.reloads++;
          return;
        } catch (error) {
          console.error(`etcd store: reloading ${this.keys.prefix} failed: ${oneLine(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    } finally {
      this.#reloading = false;
    }
  }

  #applyPut(kv: IKeyValue, loading: boolean): void {
    const key = kv.key.toString();
    const revision = Number(kv.mod_revision);
    if (key === this.keys.sequence) {
      this.#sequenceModRevision = Math.max(this.#sequenceModRevision, revision);
      const value = Number(kv.value.toString());
      if (Number.isSafeInteger(value)) this.#state.apply({ op: "sequence", value });
      return;
    }
    if (this.#holders.owns(key)) return this.#holders.put(key, kv.value.toString(), revision);
    const at = this.keys.parseRecord(key);
    if (at === undefined || revision <= (this.#revisions.get(key) ?? 0)) return;
    let record: unknown;
    try {
      record = JSON.parse(kv.value.toString());
      assertKeyed(record, key);
    } catch (error) {
      if (loading) throw new StoreCorruptError(`etcd key ${key}`, 0, oneLine(error));
      console.error(`etcd store: ignoring unparseable ${key}: ${oneLine(error)}`);
      return;
    }
    this.#revisions.set(key, revision);
    this.#tombstones.delete(key);
    const before = this.#state.get(at.collection, at.namespace, at.name);
    this.#state.apply({ op: "put", collection: at.collection, record: record as never });
    if (!loading) this.#changes.tell({ ...at, before, after: record as Keyed });
  }

  #applyDelete(kv: IKeyValue): void {
    const key = kv.key.toString();
    const revision = Number(kv.mod_revision);
    if (this.#holders.owns(key)) return this.#holders.delete(key, revision);
    const at = this.keys.parseRecord(key);
    if (at === undefined || revision <= (this.#revisions.get(key) ?? 0)) return;
    this.#revisions.set(key, revision);
    this.#tombstones.set(key, revision);
    const before = this.#state.get(at.collection, at.namespace, at.name);
    this.#state.apply({ op: "delete", ...at });
    if (before) this.#changes.tell({ ...at, before, after: undefined });
  }

  /** Calls `listener` for each record another store changed; returns the unsubscribe. */
  onRemoteChange(listener: (change: RemoteChange) => void): () => void {
    return this.#changes.subscribe(listener);
  }

  #advance(revision: number): void {
    if (revision <= this.#revision) return;
    this.#revision = revision;
    for (const [key, at] of this.#tombstones) {
      if (at <= revision) {
        this.#tombstones.delete(key);
        this.#revisions.delete(key);
      }
    }
    const due = this.#revisionWaiters.filter((w) => w.revision <= revision);
    this.#revisionWaiters = this.#revisionWaiters.filter((w) => w.revision > revision);
    for (const waiter of due) waiter.wake();
  }

  /** The last revision the cache reflects. */
  get revision(): number {
    return this.#revision;
  }

  /** The revision this store's last write committed at (another store can wait for it). */
  get lastWriteRevision(): number {
    return this.#lastWrite;
  }

  /** Resolves once the cache reflects `revision` (the watch delivered it). */
  waitForRevision(revision: number): Promise<void> {
    if (revision <= this.#revision) return Promise.resolve();
    return new Promise((wake) => this.#revisionWaiters.push({ revision, wake }));
  }

  /** The counter's current value (the last one handed out). */
  get sequence(): number {
    return this.#state.sequence;
  }

  nextSequence(): Promise<number> {
    return this.#enqueueSequence((current) => current + 1);
  }

  /** Raises the counter to at least `value` (an import); never lowers it. */
  async raiseSequence(value: number): Promise<void> {
    await this.#enqueueSequence((current) => Math.max(current, value));
  }

  #enqueueSequence(next: (current: number) => number): Promise<number> {
    const op: StoreOp & { op: "sequence" } = { op: "sequence", value: 0 };
    return this.#enqueue(op, next).then(() => op.value);
  }

  #enqueue(op: StoreOp, next?: (current: number) => number): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreError("etcd store is closed"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject, ...(next ? { next } : {}) });
      this.#draining ??= this.#drain();
    });
  }

  #keyOf(op: StoreOp): string {
    if (op.op === "put") {
      return this.keys.record(op.collection, op.record.namespace, op.record.name);
    }
    if (op.op === "delete") return this.keys.record(op.collection, op.namespace, op.name);
    return this.keys.sequence;
  }

  #nextBatch(): Pending[] {
    return this.#queue.splice(
      0,
      batchLength(this.#queue.map((p) => p.op), (op) => this.#keyOf(op)),
    );
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#nextBatch();
        try {
          const first = batch[0]!;
          if (first.op.op === "sequence") {
            first.op.value = await this.#writeSequence(first.next!);
            first.resolve(true);
          } else {
            const results = await this.#write(batch);
            batch.forEach((p, i) => p.resolve(results[i]!));
          }
        } catch (error) {
          const failure = error instanceof StoreError ? error : new StoreError(
            `etcd write failed (${this.endpoints.join(",")}): ${oneLine(error)}`,
            { cause: error },
          );
          for (const p of batch) p.reject(failure);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #write(batch: Pending[]): Promise<boolean[]> {
    const success: IRequestOp[] = batch.map(({ op }) =>
      op.op === "put"
        ? {
          request_put: {
            key: Buffer.from(this.#keyOf(op)),
            value: Buffer.from(JSON.stringify(op.record)),
          },
        }
        : { request_delete_range: { key: Buffer.from(this.#keyOf(op)) } }
    );
    const ops = batch.map((p) => p.op);
    const guard = this.#holders.guard(
      ops,
      (namespace, name) => this.#state.get("leases", namespace, name) as LeaseRecord | undefined,
      // etcd compares a missing key's revision as 0
      (key) => this.#tombstones.has(key) ? 0 : this.#revisions.get(key) ?? 0,
    );
    const response = await this.client.kv.txn({
      compare: guard.compare,
      success: [...success, ...guard.writes],
    });
    const revision = Number(response.header.revision);
    if (!response.succeeded) {
      throw new StoreConflictError(
        `another controller replica changed a lease first (etcd revision ${revision})`,
        revision,
      );
    }
    this.#lastWrite = revision;
    if (this.#revision < revision) this.#holders.committed(guard.holders, revision);
    return batch.map(({ op }, i) => {
      const key = this.#keyOf(op);
      // the watch may have brought this write, or a later change of the key, before etcd's answer
      const stale = this.#revision >= revision || (this.#revisions.get(key) ?? 0) >= revision;
      if (op.op === "put") {
        if (stale) return true;
        this.#revisions.set(key, revision);
        this.#tombstones.delete(key);
        return this.#state.apply(op);
      }
      const deleted = Number(response.responses[i]!.response_delete_range.deleted) > 0;
      if (stale) return deleted;
      if (deleted) {
        this.#revisions.set(key, revision);
        this.#tombstones.set(key, revision);
      }
      this.#state.apply(op);
      return deleted;
    });
  }

  /** Compare-and-swap of the counter; on a race, learns the current value and tries again. */
  async #writeSequence(compute: (current: number) => number): Promise<number> {
    const key = Buffer.from(this.keys.sequence);
    for (;;) {
      const next = compute(this.#state.sequence);
      if (next === this.#state.sequence) return next;
      const response = await this.client.kv.txn({
        compare: [
          { key, target: "Mod", result: "Equal", mod_revision: this.#sequenceModRevision },
        ],
        success: [{ request_put: { key, value: Buffer.from(String(next)) } }],
        failure: [{ request_range: { key } }],
      });
      if (response.succeeded) {
        this.#sequenceModRevision = Number(response.header.revision);
        this.#lastWrite = this.#sequenceModRevision;
        this.#state.apply({ op: "sequence", value: next });
        return next;
      }
      const current = response.responses[0]!.response_range.kvs[0];
      if (current) this.#applyPut(current, false);
      else this.#sequenceModRevision = 0; // removed behind our back: start it again
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#draining !== undefined) await this.#draining;
    // cancelling waits for etcd's answer: bounded, so a controller stops while etcd is down
    if (this.#watcher) await withTimeout(this.#watcher.cancel(), 1000, "").catch(() => {});
    this.client.close();
  }
}
