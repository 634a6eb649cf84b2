/**
 * The default store: a directory holding `snapshot.json` (the state as of a generation) and
 * `journal.jsonl` (the changes since, one JSON line each, fsynced before a write's promise
 * resolves; concurrent writes share one fsync). Opening replays snapshot + journal; a journal
 * longer than `compactAfter` entries is folded into a new snapshot and a fresh journal, each
 * replaced atomically (temp file, fsync, rename, fsync dir). A crash between the two renames
 * leaves a journal older than the snapshot, which opening recognises by its generation and
 * discards. The directory is locked (see lock.ts) while open.
 */
import type { ClientRecord, ExporterRecord, LeaseRecord, WaiterRecord } from "../model.ts";
import { StateCollection } from "./collection.ts";
import {
  exists,
  readIfExists,
  removeIfExists,
  syncDir,
  writeAll,
  writeFileAtomic,
} from "./fs_util.ts";
import { encodeHeader, encodeOp, FORMAT_VERSION, parseJournal } from "./journal.ts";
import { DirLock } from "./lock.ts";
import { type StateData, StoreState } from "./state.ts";
import {
  type Store,
  StoreCorruptError,
  StoreError,
  StoreFailedError,
  type StoreOp,
} from "./types.ts";

export const JOURNAL_FILE = "journal.jsonl";
export const SNAPSHOT_FILE = "snapshot.json";

export interface FileStoreOptions {
  /** Compact once the journal holds this many entries (default 1000). */
  compactAfter?: number;
}

/** Counters, for tests and metrics. */
export interface FileStoreStats {
  /** Entries in the current journal. */
  journalEntries: number;
  /** fsyncs of the journal since open. */
  syncs: number;
  /** Compactions since open. */
  compactions: number;
  /** The current journal generation. */
  generation: number;
}

interface Pending {
  op: StoreOp;
  resolve: (result: boolean) => void;
  reject: (error: unknown) => void;
}

const encoder = new TextEncoder();

interface Loaded {
  state: StoreState;
  generation: number;
  entries: number;
}

/** What an operator can do about a damaged store, in every such error. */
const RESTORE_HINT = "refusing to start with an empty store: restore the file from a backup, " +
  "or move the state directory away to start afresh (every client and exporter must then be " +
  "created again)";

async function readSnapshot(dir: string, state: StoreState): Promise<number> {
  const path = `${dir}/${SNAPSHOT_FILE}`;
  const bytes = await readIfExists(path);
  if (bytes === undefined) return 0;
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new StoreCorruptError(path, 0, `unparseable snapshot (${(error as Error).message})`);
  }
  const d = data as Record<string, unknown> | null;
  if (typeof d !== "object" || d === null || d["version"] !== FORMAT_VERSION) {
    throw new StoreCorruptError(path, 0, `not a version ${FORMAT_VERSION} snapshot`);
  }
  const generation = d["generation"];
  if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0) {
    throw new StoreCorruptError(path, 0, "bad generation");
  }
  try {
    state.load(d as unknown as StateData);
  } catch (error) {
    throw new StoreCorruptError(path, 0, (error as Error).message);
  }
  return generation;
}

async function loadDir(dir: string): Promise<Loaded> {
  const state = new StoreState();
  const generation = await readSnapshot(dir, state);
  await removeIfExists(`${dir}/${SNAPSHOT_FILE}.tmp`);
  await removeIfExists(`${dir}/${JOURNAL_FILE}.tmp`);
  const path = `${dir}/${JOURNAL_FILE}`;
  const bytes = await readIfExists(path);
  const parsed = bytes === undefined ? undefined : parseJournal(bytes, path);
  // the journal is created (atomically, with its header) on first open and only ever replaced
  // atomically: missing or headerless after that, it was lost, and starting empty would
  // silently drop every client, exporter and lease
  if (bytes === undefined && await exists(`${dir}/${SNAPSHOT_FILE}`)) {
    throw new StoreCorruptError(path, 0, `missing next to ${SNAPSHOT_FILE}; ${RESTORE_HINT}`);
  }
  if (parsed?.generation === undefined && parsed !== undefined) {
    throw new StoreCorruptError(path, 0, `empty (no journal header); ${RESTORE_HINT}`);
  }
  if (parsed?.generation === undefined || parsed.generation < generation) {
    // A new store, or a journal already folded into the snapshot: start a fresh journal.
    await writeFileAtomic(dir, JOURNAL_FILE, encoder.encode(encodeHeader(generation)));
    return { state, generation, entries: 0 };
  }
  if (parsed.generation > generation) {
    throw new StoreCorruptError(
      path,
      1,
      `journal generation ${parsed.generation} is newer than the snapshot's (${generation}); ` +
        `${SNAPSHOT_FILE} is missing or stale`,
    );
  }
  for (const op of parsed.ops) state.apply(op);
  if (parsed.validBytes < (bytes?.length ?? 0) || parsed.missingNewline) {
    const file = await Deno.open(path, { write: true });
    try {
      await file.truncate(parsed.validBytes);
      if (parsed.missingNewline) {
        await file.seek(0, Deno.SeekMode.End);
        await writeAll(file, encoder.encode("\n"));
      }
      await file.sync();
    } finally {
      file.close();
    }
  }
  return { state, generation, entries: parsed.ops.length };
}

export class FileStore implements Store {
  readonly dir: string;
  readonly clients: StateCollection<ClientRecord>;
  readonly exporters: StateCollection<ExporterRecord>;
  readonly leases: StateCollection<LeaseRecord>;
  readonly waiters: StateCollection<WaiterRecord>;

  #state: StoreState;
  #lock: DirLock;
  #journal: Deno.FsFile;
  #compactAfter: number;
  #generation: number;
  #entries: number;
  #syncs = 0;
  #compactions = 0;
  #issued: number;
  #queue: Pending[] = [];
  #inflight: Pending[] = [];
  #draining: Promise<void> | undefined;
  #failed: unknown;
  #compactRequested = false;
  #closed = false;

  private constructor(
    dir: string,
    lock: DirLock,
    journal: Deno.FsFile,
    loaded: Loaded,
    compactAfter: number,
  ) {
    this.dir = dir;
    this.#lock = lock;
    this.#journal = journal;
    this.#state = loaded.state;
    this.#generation = loaded.generation;
    this.#entries = loaded.entries;
    this.#issued = loaded.state.sequence;
    this.#compactAfter = compactAfter;
    const commit = (op: StoreOp) => this.#enqueue(op);
    this.clients = new StateCollection("clients", this.#state, commit);
    this.exporters = new StateCollection("exporters", this.#state, commit);
    this.leases = new StateCollection("leases", this.#state, commit);
    this.waiters = new StateCollection("waiters", this.#state, commit);
  }

  /** Opens (creating if needed) the store in `dir`, locking it. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const compactAfter = options.compactAfter ?? 1000;
    if (!Number.isSafeInteger(compactAfter) || compactAfter < 1) {
      throw new RangeError("compactAfter must be a positive integer");
    }
    await Deno.mkdir(dir, { recursive: true });
    const lock = await DirLock.acquire(dir);
    try {
      const loaded = await loadDir(dir);
      const journal = await Deno.open(`${dir}/${JOURNAL_FILE}`, { write: true, append: true });
      return new FileStore(dir, lock, journal, loaded, compactAfter);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** The pid of a dead controller whose lock this store took over, if any. */
  get previousLockHolder(): number | undefined {
    return this.#lock.previousHolder;
  }

  stats(): FileStoreStats {
    return {
      journalEntries: this.#entries,
      syncs: this.#syncs,
      compactions: this.#compactions,
      generation: this.#generation,
    };
  }

  /** The counter's current value (the last one handed out). */
  get sequence(): number {
    return this.#state.sequence;
  }

  nextSequence(): Promise<number> {
    const value = ++this.#issued;
    return this.#enqueue({ op: "sequence", value }).then(() => value);
  }

  /** Raises the counter to at least `value` (an import); never lowers it. */
  async raiseSequence(value: number): Promise<void> {
    if (value <= this.#issued) return;
    this.#issued = value;
    await this.#enqueue({ op: "sequence", value });
  }

  /** Whether a queued or in-flight change touches this record. */
  #touched(op: StoreOp & { op: "delete" }): boolean {
    return [...this.#inflight, ...this.#queue].some(({ op: p }) =>
      (p.op === "put" && p.collection === op.collection && p.record.namespace === op.namespace &&
        p.record.name === op.name) ||
      (p.op === "delete" && p.collection === op.collection && p.namespace === op.namespace &&
        p.name === op.name)
    );
  }

  #enqueue(op: StoreOp): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreError(`store ${this.dir} is closed`));
    if (this.#failed !== undefined) return Promise.reject(this.#failedError());
    if (
      op.op === "delete" && !this.#state.has(op.collection, op.namespace, op.name) &&
      !this.#touched(op)
    ) {
      return Promise.resolve(false); // nothing to delete: no journal line, no fsync
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  #failedError(): StoreFailedError {
    return new StoreFailedError(
      `store ${this.dir} failed a write and refuses more; reopen it: ${String(this.#failed)}`,
      { cause: this.#failed },
    );
  }

  /** Writes queued changes in batches: one write and one fsync per batch. */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 || this.#compactRequested) {
        const batch = this.#queue.splice(0);
        if (batch.length > 0) {
          this.#inflight = batch;
          try {
            const text = batch.map((p) => encodeOp(p.op)).join("");
            await writeAll(this.#journal, encoder.encode(text));
            await this.#journal.syncData();
            this.#syncs++;
          } catch (error) {
            this.#inflight = [];
            this.#fail(error, batch);
            return;
          }
          this.#inflight = [];
          const results = batch.map((p) => this.#state.apply(p.op));
          this.#entries += batch.length;
          batch.forEach((p, i) => p.resolve(results[i]!));
        }
        if (this.#entries >= this.#compactAfter || this.#compactRequested) {
          this.#compactRequested = false;
          try {
            await this.#compact();
          } catch (error) {
            this.#fail(error, []);
            return;
          }
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #fail(error: unknown, batch: Pending[]): void {
    this.#failed = error;
    const rest = [...batch, ...this.#queue.splice(0)];
    const failure = this.#failedError();
    for (const p of rest) p.reject(failure);
  }

  /** Folds the journal into a new snapshot, then starts a fresh journal. */
  async #compact(): Promise<void> {
    const generation = this.#generation + 1;
    const snapshot = { version: FORMAT_VERSION, generation, ...this.#state.data() };
    await writeFileAtomic(this.dir, SNAPSHOT_FILE, encoder.encode(JSON.stringify(snapshot)));
    // From here the old journal is stale (its generation is below the snapshot's).
    this.#journal.close();
    await writeFileAtomic(this.dir, JOURNAL_FILE, encoder.encode(encodeHeader(generation)));
    this.#journal = await Deno.open(`${this.dir}/${JOURNAL_FILE}`, { write: true, append: true });
    this.#generation = generation;
    this.#entries = 0;
    this.#compactions++;
  }

  /** Compacts now (after the queued writes). */
  async compact(): Promise<void> {
    if (this.#closed) throw new StoreError(`store ${this.dir} is closed`);
    if (this.#failed !== undefined) throw this.#failedError();
    this.#compactRequested = true;
    do {
      await (this.#draining ??= this.#drain());
    } while (this.#compactRequested && this.#failed === undefined);
    if (this.#failed !== undefined) throw this.#failedError();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#draining !== undefined) await this.#draining;
    try {
      this.#journal.close();
    } catch {
      // already closed by a failed compaction
    }
    await syncDir(this.dir).catch(() => {});
    await this.#lock.release();
  }
}
