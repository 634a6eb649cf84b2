/**
 * Queue position and wait estimate of a pending lease.
 *
 * Position: 1 + the number of due pending leases created earlier whose candidate sets intersect
 * this lease's (those are served first on any exporter both could use).
 *
 * Estimate: replays the scheduler forward in time, assuming every lease runs to its end and
 * nothing else changes: each exporter is free from now (available), from the end of its active
 * lease (leased), or never (offline, not ready); at each instant an exporter frees up or a
 * scheduled lease comes due, due leases in FIFO order take a free candidate with the same
 * choice rule as the scheduler, occupying it for their own duration. The estimate is when this
 * lease gets its exporter. For leases ahead with the same candidates, this is the k-th soonest
 * end among the active leases on them (k = position) when those ends come before any lease
 * ahead finishes; it also accounts for leases ahead that finish first and hand the exporter on,
 * and for scheduled begins. Undefined when the lease would never get an exporter that way (only
 * offline or unready candidates) or would expire first.
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import {
  acceptsLeases,
  leaseCandidates,
  type OnlinePredicate,
  pickExporter,
} from "./candidates.ts";
import { endWhenBegun, isActive, isPending, requestedEnd } from "./lease_time.ts";

export interface QueueInfo {
  /** 1 = next in line for its exporters. */
  position: number;
  /** Names of the leases ahead, in FIFO order. */
  ahead: string[];
  /** Milliseconds until an exporter is expected to be assigned, if predictable. */
  estimatedWaitMs?: number;
}

interface SimLease {
  lease: LeaseRecord;
  candidates: string[];
  dueAt: number;
  expiresAt: number;
}

function freeTimes(
  leases: readonly LeaseRecord[],
  exporters: readonly ExporterRecord[],
  now: number,
  isOnline: OnlinePredicate,
): Map<string, number> {
  const endOf = new Map<string, number>();
  for (const l of leases) {
    if (isActive(l)) endOf.set(l.exporter!, Math.max(now, l.effectiveEndTime ?? Infinity));
  }
  const free = new Map<string, number>();
  for (const e of exporters) {
    if (!isOnline(e, now)) free.set(e.name, Infinity);
    else if (endOf.has(e.name)) free.set(e.name, endOf.get(e.name)!);
    else free.set(e.name, acceptsLeases(e) ? now : Infinity);
  }
  return free;
}

function intersects(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.includes(x));
}

/**
 * Queue info for `target` among `leases` and `exporters` of its namespace, at `now` (the state
 * should be reconciled at `now`). Undefined unless the target is pending with candidates.
 */
export function queueInfo(
  target: LeaseRecord,
  leases: readonly LeaseRecord[],
  exporters: readonly ExporterRecord[],
  now: number,
  isOnline: OnlinePredicate,
): QueueInfo | undefined {
  if (!isPending(target)) return undefined;
  const sims: SimLease[] = [];
  for (const lease of [...leases].sort((a, b) => a.sequence - b.sequence)) {
    if (!isPending(lease)) continue;
    const result = leaseCandidates(lease, exporters);
    if (result.kind !== "ok") continue;
    sims.push({
      lease,
      candidates: result.exporters.map((e) => e.name),
      dueAt: Math.max(now, lease.beginTime ?? now),
      expiresAt: requestedEnd(lease) ?? Infinity,
    });
  }
  const mine = sims.find((s) => s.lease.name === target.name);
  if (mine === undefined) return undefined;
  const ahead = sims.filter((s) =>
    s.lease.sequence < target.sequence && s.dueAt <= now &&
    intersects(s.candidates, mine.candidates)
  ).map((s) => s.lease.name);
  const info: QueueInfo = { position: ahead.length + 1, ahead };
  const at = simulate(sims, mine, freeTimes(leases, exporters, now, isOnline));
  if (at !== undefined) info.estimatedWaitMs = at - now;
  return info;
}

/** When `mine` would get an exporter, replaying FIFO assignment; undefined if never. */
function simulate(sims: SimLease[], mine: SimLease, free: Map<string, number>): number | undefined {
  let remaining = [...sims];
  const freeAt = (name: string) => free.get(name) ?? Infinity;
  while (remaining.length > 0) {
    let t = Infinity;
    for (const s of remaining) {
      const soonest = Math.min(...s.candidates.map(freeAt));
      t = Math.min(t, Math.max(s.dueAt, soonest));
    }
    if (t === Infinity) return undefined;
    if (mine.expiresAt <= t) return undefined;
    const before = remaining.length;
    remaining = remaining.filter((s) => s.expiresAt > t);
    const expired = before - remaining.length;
    const due = remaining.filter((s) => s.dueAt <= t);
    const wanted = new Map<string, number>();
    for (const s of due) for (const c of s.candidates) wanted.set(c, (wanted.get(c) ?? 0) + 1);
    const served = new Set<SimLease>();
    for (const s of due) {
      for (const c of s.candidates) wanted.set(c, wanted.get(c)! - 1);
      const open = s.candidates.filter((c) => freeAt(c) <= t).map((name) => ({ name }));
      if (open.length === 0) {
        for (const c of s.candidates) wanted.set(c, wanted.get(c)! + 1);
        continue;
      }
      const chosen = pickExporter(open, wanted).name;
      if (s === mine) return t;
      free.set(chosen, endWhenBegun(s.lease, t));
      served.add(s);
    }
    if (served.size === 0 && expired === 0) return undefined; // no progress: never loop
    remaining = remaining.filter((s) => !served.has(s));
  }
  return undefined;
}
