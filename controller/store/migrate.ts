/**
 * `jmp-controller export` / `import`: a whole store as one JSON document (the snapshot's shape
 * plus a format tag), so the state moves between the file journal and etcd either way.
 */
import { type StateData, StoreState } from "./state.ts";
import {
  COLLECTION_NAMES,
  type CollectionName,
  type Store,
  StoreCorruptError,
  StoreError,
} from "./types.ts";

export const EXPORT_FORMAT = "jumpstarter-controller-state";
export const EXPORT_VERSION = 1;

export interface ExportDocument extends StateData {
  format: typeof EXPORT_FORMAT;
  version: number;
}

/** A store whose counter can be read and raised (both real stores). */
export interface MigratableStore extends Store {
  readonly sequence: number;
  raiseSequence(value: number): Promise<void>;
}

/** How many records of each collection an import wrote. */
export type ImportCounts = Record<CollectionName, number> & { sequence: number };

/** Everything in `store`, as a document `importState` takes back. */
export function exportState(store: MigratableStore): ExportDocument {
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    sequence: store.sequence,
    clients: store.clients.list(),
    exporters: store.exporters.list(),
    leases: store.leases.list(),
    waiters: store.waiters.list(),
  };
}

/** Reads an export; anything else is a StoreCorruptError naming `path` and what is wrong. */
export function parseExport(text: string, path: string): StateData {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(path, 0, `not JSON (${(error as Error).message})`);
  }
  const d = document as Record<string, unknown> | null;
  if (typeof d !== "object" || d === null || d["format"] !== EXPORT_FORMAT) {
    throw new StoreCorruptError(
      path,
      0,
      `not a jmp-controller export ("format" is not "${EXPORT_FORMAT}")`,
    );
  }
  if (d["version"] !== EXPORT_VERSION) {
    throw new StoreCorruptError(
      path,
      0,
      `export version ${String(d["version"])} is not ${EXPORT_VERSION}`,
    );
  }
  const state = new StoreState();
  try {
    state.load(d as unknown as StateData);
  } catch (error) {
    throw new StoreCorruptError(path, 0, (error as Error).message);
  }
  return state.data();
}

function recordCount(store: Store): number {
  return COLLECTION_NAMES.reduce((n, c) => n + store[c].list().length, 0);
}

/**
 * Writes `data` into `store`. A store already holding records is refused unless `replace`, which
 * removes the records `data` lacks. The counter only ever goes up.
 */
export async function importState(
  store: MigratableStore,
  data: StateData,
  options: { replace?: boolean; target: string },
): Promise<ImportCounts> {
  const existing = recordCount(store);
  if (existing > 0 && !options.replace) {
    throw new StoreError(
      `${options.target} already holds ${existing} records: import into an empty store, ` +
        `or pass --replace to make it hold exactly the export`,
    );
  }
  const counts = { sequence: data.sequence } as ImportCounts;
  for (const collection of COLLECTION_NAMES) {
    const records = data[collection] ?? [];
    const wanted = new Set(records.map((r) => JSON.stringify([r.namespace, r.name])));
    const collectionStore = store[collection] as Store[CollectionName] & {
      put(record: unknown): Promise<void>;
    };
    const writes: Promise<unknown>[] = [];
    for (const old of store[collection].list()) {
      if (!wanted.has(JSON.stringify([old.namespace, old.name]))) {
        writes.push(store[collection].delete(old.namespace, old.name));
      }
    }
    for (const record of records) writes.push(collectionStore.put(record));
    await Promise.all(writes);
    counts[collection] = records.length;
  }
  await store.raiseSequence(data.sequence);
  return counts;
}
