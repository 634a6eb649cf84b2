/**
 * The controller's store: four keyed collections (clients, exporters, leases, lease waiters) and a
 * persisted monotonic counter. Reads are synchronous (every implementation keeps the whole state in
 * memory); writes return a promise that resolves once the change is durable.
 */
import type { ClientRecord, ExporterRecord, LeaseRecord, WaiterRecord } from "../model.ts";

/** What every stored record has: its key. */
export interface Keyed {
  namespace: string;
  name: string;
}

/** One keyed collection. Records handed out and taken in are copies: mutate freely. */
export interface Collection<T extends Keyed> {
  /** The record, or undefined. Reflects only writes whose promise has resolved. */
  get(namespace: string, name: string): T | undefined;
  /** All records (of one namespace if given), sorted by namespace then name. */
  list(namespace?: string): T[];
  /** Insert or replace (by namespace and name); durable when the promise resolves. */
  put(record: T): Promise<void>;
  /** Remove; resolves true if the record existed (durably removed), false otherwise. */
  delete(namespace: string, name: string): Promise<boolean>;
}

export interface Store {
  readonly clients: Collection<ClientRecord>;
  readonly exporters: Collection<ExporterRecord>;
  readonly leases: Collection<LeaseRecord>;
  /** Queued leases whose client waits for them, and how long it may go silent. */
  readonly waiters: Collection<WaiterRecord>;
  /** The next value of a monotonic counter (1, 2, ...), persisted before the promise resolves. */
  nextSequence(): Promise<number>;
  /** Waits for pending writes, then releases resources (and the directory lock). */
  close(): Promise<void>;
}

export type CollectionName = "clients" | "exporters" | "leases" | "waiters";

export const COLLECTION_NAMES: readonly CollectionName[] = [
  "clients",
  "exporters",
  "leases",
  "waiters",
];

/** Collections a state written before they existed may lack (read as empty). */
export const LATER_COLLECTIONS: readonly CollectionName[] = ["waiters"];

/** The record type held by each collection. */
export interface RecordOf {
  clients: ClientRecord;
  exporters: ExporterRecord;
  leases: LeaseRecord;
  waiters: WaiterRecord;
}

/** A change, as journaled and replayed. */
export type StoreOp =
  | { op: "put"; collection: CollectionName; record: Keyed }
  | { op: "delete"; collection: CollectionName; namespace: string; name: string }
  | { op: "sequence"; value: number };

/** Base class of store errors. */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** A store file that cannot be read back: names the file and (1-based) line. */
export class StoreCorruptError extends StoreError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string, options?: ErrorOptions) {
    super(`${line > 0 ? `${file}:${line}` : file}: ${reason}`, options);
    this.name = "StoreCorruptError";
    this.file = file;
    this.line = line;
  }
}

/** The store directory is in use by another controller. */
export class StoreLockedError extends StoreError {
  readonly dir: string;
  /** The holder's pid as written in the lock file (0 if unknown). */
  readonly pid: number;
  constructor(dir: string, pid: number) {
    super(
      `store directory ${dir} is locked by ${
        pid > 0 ? `process ${pid}` : "another process"
      } (another controller is using it)`,
    );
    this.name = "StoreLockedError";
    this.dir = dir;
    this.pid = pid;
  }
}

/** A write failed; the store refuses further writes (reopen it to recover from the files). */
export class StoreFailedError extends StoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreFailedError";
  }
}

/** Checks a record's key before it is stored. */
export function assertKeyed(record: unknown, what: string): asserts record is Keyed {
  if (typeof record !== "object" || record === null) {
    throw new TypeError(`${what}: record must be an object`);
  }
  const r = record as Record<string, unknown>;
  if (typeof r["namespace"] !== "string" || r["namespace"] === "") {
    throw new TypeError(`${what}: record needs a non-empty string "namespace"`);
  }
  if (typeof r["name"] !== "string" || r["name"] === "") {
    throw new TypeError(`${what}: record needs a non-empty string "name"`);
  }
}
