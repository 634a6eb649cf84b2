/**
 * What keeps controller replicas sharing one etcd from overwriting each other's lease decisions.
 *
 * Every lease write is a compare-and-swap: it commits only if the lease key is still at the
 * revision this replica's cache holds, so a decision made on stale state fails instead of undoing
 * a newer one. And each exporter that holds a lease has a holder key (`holders/<ns>/<exporter>`,
 * the lease's name): a write that gives an exporter to a lease compares that key with the cache
 * too, so two replicas granting one exporter at once (to two different leases, two different
 * lease keys) cannot both commit. A failed comparison is a {@linkcode StoreConflictError}; the
 * caller waits for the watch to reach its revision and decides again.
 */
import { Buffer } from "node:buffer";
import type { ICompare, IRequestOp } from "etcd3";
import type { LeaseRecord } from "../model.ts";
import type { EtcdKeys } from "./etcd_keys.ts";
import { StoreError, type StoreOp } from "./types.ts";

/** A guarded write lost a race with another replica's write. */
export class StoreConflictError extends StoreError {
  /** etcd's revision when the comparison failed: the cache is current once it reaches it. */
  readonly revision: number;
  constructor(message: string, revision: number) {
    super(message);
    this.name = "StoreConflictError";
    this.revision = revision;
  }
}

/** Whether a write goes through the lease guard. */
export function isGuarded(op: StoreOp): boolean {
  return op.op !== "sequence" && op.collection === "leases";
}

/** Most writes in one transaction (etcd's default limit is 128 operations). */
const MAX_BATCH = 100;

/**
 * How many of the queued writes (not counter changes) go in the next transaction: consecutive
 * ones to distinct keys, lease writes apart from the others (so one that loses a race fails alone).
 */
export function batchLength(queue: StoreOp[], keyOf: (op: StoreOp) => string): number {
  if (queue[0]?.op === "sequence") return 1;
  const guarded = queue[0] !== undefined && isGuarded(queue[0]);
  const seen = new Set<string>();
  let n = 0;
  for (const op of queue) {
    const key = keyOf(op);
    if (n === MAX_BATCH || op.op === "sequence" || seen.has(key)) break;
    if (isGuarded(op) !== guarded) break;
    seen.add(key);
    n++;
  }
  return n;
}

function holding(lease: LeaseRecord | undefined): string | undefined {
  return lease && lease.exporter && !lease.ended ? lease.exporter : undefined;
}

/** The cached holder keys (value and revision), kept current by the store's watch. */
export class HolderBook {
  readonly #keys: EtcdKeys;
  readonly #held = new Map<string, { lease: string; revision: number }>();

  constructor(keys: EtcdKeys) {
    this.#keys = keys;
  }

  /** Whether `key` is a holder key (which the book then tracks). */
  owns(key: string): boolean {
    return key.startsWith(this.#keys.holders);
  }

  put(key: string, lease: string, revision: number): void {
    const known = this.#held.get(key);
    if (!known || known.revision < revision) this.#held.set(key, { lease, revision });
  }

  delete(key: string, revision: number): void {
    const known = this.#held.get(key);
    if (known && known.revision < revision) this.#held.delete(key);
  }

  /** On a reload: forgets holder keys etcd no longer has. */
  keepOnly(present: Set<string>): void {
    for (const key of this.#held.keys()) if (!present.has(key)) this.#held.delete(key);
  }

  /**
   * The comparisons and holder-key writes that guard the lease writes of one transaction.
   * `cachedLease` and `revisionOf` read the cache as it is before the transaction.
   */
  guard(
    ops: StoreOp[],
    cachedLease: (namespace: string, name: string) => LeaseRecord | undefined,
    revisionOf: (key: string) => number,
  ): { compare: ICompare[]; writes: IRequestOp[]; holders: Map<string, string | undefined> } {
    const compare: ICompare[] = [];
    /** Holder key -> the lease holding it after the transaction (undefined: nobody). */
    const holders = new Map<string, string | undefined>();
    const released = new Set<string>();
    for (const op of ops) {
      if (!isGuarded(op) || op.op === "sequence") continue;
      const namespace = op.op === "put" ? op.record.namespace : op.namespace;
      const name = op.op === "put" ? op.record.name : op.name;
      const key = this.#keys.record("leases", namespace, name);
      compare.push({
        key: Buffer.from(key),
        target: "Mod",
        result: "Equal",
        mod_revision: revisionOf(key),
      });
      const before = holding(cachedLease(namespace, name));
      const after = op.op === "put" ? holding(op.record as LeaseRecord) : undefined;
      if (before !== undefined && before !== after) {
        const holderKey = this.#keys.holder(namespace, before);
        if (this.#held.get(holderKey)?.lease === name && !holders.has(holderKey)) {
          holders.set(holderKey, undefined);
        }
        released.add(holderKey);
      }
      if (after !== undefined && after !== before) {
        const holderKey = this.#keys.holder(namespace, after);
        const current = holders.has(holderKey)
          ? holders.get(holderKey)
          : this.#held.get(holderKey)?.lease;
        const stillHeld = current !== undefined && current !== name &&
          !released.has(holderKey) && holding(cachedLease(namespace, current)) === after;
        if (stillHeld) {
          throw new StoreConflictError(
            `exporter ${namespace}/${after} is already held by lease ${current}`,
            0,
          );
        }
        holders.set(holderKey, name);
      }
    }
    const writes: IRequestOp[] = [];
    for (const [holderKey, lease] of holders) {
      const key = Buffer.from(holderKey);
      compare.push({
        key,
        target: "Mod",
        result: "Equal",
        mod_revision: this.#held.get(holderKey)?.revision ?? 0,
      });
      writes.push(
        lease === undefined
          ? { request_delete_range: { key } }
          : { request_put: { key, value: Buffer.from(lease) } },
      );
    }
    return { compare, writes, holders };
  }

  /** Records the holder keys a committed transaction wrote. */
  committed(holders: Map<string, string | undefined>, revision: number): void {
    for (const [key, lease] of holders) {
      // the watch (or a reload) may have brought a later change of the key already
      if ((this.#held.get(key)?.revision ?? 0) >= revision) continue;
      if (lease === undefined) this.#held.delete(key);
      else this.#held.set(key, { lease, revision });
    }
  }
}
