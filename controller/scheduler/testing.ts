/** Test fixtures: a scheduler over a MemoryStore with a fake clock and switchable liveness. */
import assert from "node:assert/strict";
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import { MemoryStore } from "../store/memory_store.ts";
import type { Store } from "../store/types.ts";
import { FakeClock } from "./clock.ts";
import { getCondition } from "./conditions.ts";
import { type CreateLeaseRequest, Scheduler, type SchedulerOptions } from "./scheduler.ts";

export const T0 = Date.UTC(2025, 0, 1, 9, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export type Overrides = { [K in keyof CreateLeaseRequest]?: CreateLeaseRequest[K] | undefined };

function request(name: string, overrides: Overrides): CreateLeaseRequest {
  const merged: Record<string, unknown> = {
    namespace: "lab",
    client: `client-${name}`,
    selector: "board=rpi4",
    duration: HOUR,
    name,
    ...overrides,
  };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return merged as unknown as CreateLeaseRequest;
}

export interface Fixture {
  store: Store;
  clock: FakeClock;
  scheduler: Scheduler;
  /** Names of exporters treated as offline. */
  offline: Set<string>;
  addExporter(
    name: string,
    labels?: Record<string, string>,
    patch?: Partial<ExporterRecord>,
  ): Promise<LeaseRecord[]>;
  /** Creates `name` (board=rpi4, 1 h); an override of `undefined` removes a default. */
  create(name: string, overrides?: Overrides): Promise<LeaseRecord>;
  lease(name: string): LeaseRecord;
}

export function exporterRecord(
  name: string,
  labels: Record<string, string>,
  now: number,
  patch: Partial<ExporterRecord> = {},
): ExporterRecord {
  return {
    namespace: "lab",
    name,
    uid: `uid-${name}`,
    labels,
    devices: [],
    status: "Available",
    statusMessage: "",
    lastSeen: now,
    enabled: true,
    createdAt: now,
    ...patch,
  };
}

export function fixture(options: SchedulerOptions & { store?: Store } = {}): Fixture {
  const store = options.store ?? new MemoryStore();
  const clock = options.clock instanceof FakeClock ? options.clock : new FakeClock(T0);
  const offline = new Set<string>();
  const scheduler = new Scheduler(store, {
    clock,
    isOnline: (e) => e.status !== "Offline" && !offline.has(e.name),
    ...options,
  });
  return {
    store,
    clock,
    scheduler,
    offline,
    addExporter: (name, labels = { board: "rpi4" }, patch = {}) =>
      scheduler.exporterUpdated(exporterRecord(name, labels, clock.now(), patch)),
    create: async (name, overrides = {}) =>
      (await scheduler.createLease(request(name, overrides))).lease,
    lease: (name) => {
      const l = store.leases.get("lab", name);
      assert.ok(l, `lease ${name} exists`);
      return l;
    },
  };
}

/** `type=status/reason` of a condition, or undefined. */
export function cond(
  lease: LeaseRecord,
  type: LeaseRecord["conditions"][number]["type"],
): string | undefined {
  const c = getCondition(lease.conditions, type);
  return c === undefined ? undefined : `${c.status}/${c.reason}`;
}

export function names(leases: readonly LeaseRecord[]): string[] {
  return leases.map((l) => l.name);
}

/** Each queued lease's predicted wait (`queueInfo`), by name; undefined: predicted never to start. */
export function predictedWaits(f: Fixture, namespace = "lab"): Map<string, number | undefined> {
  const predicted = new Map<string, number | undefined>();
  for (const lease of f.scheduler.listLeases(namespace)) {
    const info = f.scheduler.queueInfo(namespace, lease.name);
    if (info !== undefined) predicted.set(lease.name, info.estimatedWaitMs);
  }
  return predicted;
}

/** Moves the clock from wakeup to wakeup, reconciling at each, until none is left. */
export async function runUntilIdle(f: Fixture): Promise<void> {
  for (let wake = f.scheduler.nextWakeup(); wake !== undefined; wake = f.scheduler.nextWakeup()) {
    if (wake <= f.clock.now()) throw new Error(`a wakeup at ${wake} does not move forward`);
    f.clock.set(wake);
    await f.scheduler.reconcile();
  }
}
