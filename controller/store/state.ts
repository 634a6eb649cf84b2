/** The in-memory state shared by every store implementation. */
import {
  assertKeyed,
  COLLECTION_NAMES,
  type CollectionName,
  type Keyed,
  LATER_COLLECTIONS,
  type StoreOp,
} from "./types.ts";

/** The whole state as written to `snapshot.json` (records sorted by key). */
export interface StateData {
  sequence: number;
  clients: Keyed[];
  exporters: Keyed[];
  leases: Keyed[];
  /** Absent in states written before lease waiters were kept. */
  waiters?: Keyed[];
}

const SEP = "\u0000";

function keyOf(namespace: string, name: string): string {
  return namespace + SEP + name;
}

function compareKeyed(a: Keyed, b: Keyed): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

/** Maps of records (stored as private copies) plus the sequence counter. */
export class StoreState {
  #maps = new Map<CollectionName, Map<string, Keyed>>(
    COLLECTION_NAMES.map((c) => [c, new Map<string, Keyed>()]),
  );
  #sequence = 0;

  get sequence(): number {
    return this.#sequence;
  }

  #map(collection: CollectionName): Map<string, Keyed> {
    const map = this.#maps.get(collection);
    if (map === undefined) throw new TypeError(`unknown collection ${String(collection)}`);
    return map;
  }

  has(collection: CollectionName, namespace: string, name: string): boolean {
    return this.#map(collection).has(keyOf(namespace, name));
  }

  /** A copy of the record, or undefined. */
  get(collection: CollectionName, namespace: string, name: string): Keyed | undefined {
    const record = this.#map(collection).get(keyOf(namespace, name));
    return record === undefined ? undefined : structuredClone(record);
  }

  /** Copies of the records, sorted by namespace then name. */
  list(collection: CollectionName, namespace?: string): Keyed[] {
    const out: Keyed[] = [];
    for (const record of this.#map(collection).values()) {
      if (namespace === undefined || record.namespace === namespace) {
        out.push(structuredClone(record));
      }
    }
    return out.sort(compareKeyed);
  }

  /** Applies one change (the record is copied); for a delete, whether the record existed. */
  apply(op: StoreOp): boolean {
    switch (op.op) {
      case "put":
        this.#map(op.collection).set(
          keyOf(op.record.namespace, op.record.name),
          structuredClone(op.record),
        );
        return true;
      case "delete":
        return this.#map(op.collection).delete(keyOf(op.namespace, op.name));
      case "sequence":
        if (op.value > this.#sequence) this.#sequence = op.value;
        return true;
    }
  }

  /** The whole state, for a snapshot. */
  data(): StateData {
    return {
      sequence: this.#sequence,
      clients: this.list("clients"),
      exporters: this.list("exporters"),
      leases: this.list("leases"),
      waiters: this.list("waiters"),
    };
  }

  /** Replaces the state with a snapshot's (validated; throws TypeError on bad shape). */
  load(data: StateData): void {
    if (!Number.isSafeInteger(data.sequence) || data.sequence < 0) {
      throw new TypeError(`"sequence" must be a non-negative integer`);
    }
    this.#sequence = data.sequence;
    for (const collection of COLLECTION_NAMES) {
      const records: unknown = data[collection] ??
        (LATER_COLLECTIONS.includes(collection) ? [] : undefined);
      if (!Array.isArray(records)) throw new TypeError(`"${collection}" must be an array`);
      const map = this.#map(collection);
      map.clear();
      for (const [i, record] of records.entries()) {
        assertKeyed(record, `${collection}[${i}]`);
        map.set(keyOf(record.namespace, record.name), record);
      }
    }
  }
}
