/**
 * Queue position and wait estimate of a pending lease.
 *
 * Position: 1 + the number of due pending leases ahead of it in queue order (`queueOrder`:
 * non-spot before spot-only, higher access-policy priority, then created earlier) whose candidate
 * sets intersect this lease's (those are served first on any exporter both could use).
 *
 * Estimate: replays the scheduler forward in time, assuming every lease runs to its end and
 * nothing else changes: each exporter is free from now (available), from the end of its active
 * lease (leased), or never (offline, not ready); at each instant an exporter frees up or a
 * scheduled lease comes due, due leases in queue order take a free candidate with the same
 * choice rule as the scheduler (or preempt a spot lease as it does), occupying it for their own
 * duration. The estimate is when this lease gets its exporter. For leases ahead with the same candidates, this is the k-th soonest
 * end among the active leases on them (k = position) when those ends come before any lease
 * ahead finishes; it also accounts for leases ahead that finish first and hand the exporter on,
 * and for scheduled begins. Undefined when the lease would never get an exporter that way (only
 * offline or unready candidates) or would expire first.
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import { acceptsLeases, type OnlinePredicate, pickExporter } from "./candidates.ts";
import { endWhenBegun, isActive, isPending, requestedEnd } from "./lease_time.ts";
import { cleaningUp } from "./policy_spot.ts";
import {
  type Approval,
  approvedCandidates,
  NO_POLICIES,
  pickApproval,
  type PolicyView,
  queueOrder,
  type Rank,
} from "./policy.ts";

export interface QueueInfo {
  /** 1 = next in line for its exporters. */
  position: number;
  /** Names of the leases ahead, in queue order. */
  ahead: string[];
  /** Milliseconds until an exporter is expected to be assigned, if predictable. */
  estimatedWaitMs?: number;
}

interface SimLease {
  lease: LeaseRecord;
  approvals: Approval[];
  rank: Rank;
  dueAt: number;
  expiresAt: number;
}

/** When each exporter is next free, and the priority of the spot leases holding some. */
interface SimExporters {
  free: Map<string, number>;
  spotHolders: Map<string, number>;
  /** Online, unleased and `cleaningUp`: the scheduler waits for these rather than preempt. */
  cleaning: Set<string>;
}

function simExporters(
  leases: readonly LeaseRecord[],
  exporters: readonly ExporterRecord[],
  now: number,
  isOnline: OnlinePredicate,
): SimExporters {
  const endOf = new Map<string, number>();
  const spotHolders = new Map<string, number>();
  for (const l of leases) {
    if (!isActive(l)) continue;
    endOf.set(l.exporter!, Math.max(now, l.effectiveEndTime ?? Infinity));
    if (l.spotAccess === true) spotHolders.set(l.exporter!, l.priority ?? 0);
  }
  const free = new Map<string, number>();
  const cleaning = new Set<string>();
  for (const e of exporters) {
    if (!isOnline(e, now)) free.set(e.name, Infinity);
    else if (endOf.has(e.name)) free.set(e.name, endOf.get(e.name)!);
    else if (acceptsLeases(e)) free.set(e.name, now);
    else {
      free.set(e.name, Infinity);
      if (cleaningUp(e)) cleaning.add(e.name);
    }
  }
  const online = [...spotHolders].filter(([name]) => free.get(name)! < Infinity);
  return { free, spotHolders: new Map(online), cleaning };
}

function intersects(a: readonly Approval[], b: readonly Approval[]): boolean {
  return a.some((x) => b.some((y) => x.exporter.name === y.exporter.name));
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
  policy: PolicyView = NO_POLICIES,
): QueueInfo | undefined {
  if (!isPending(target)) return undefined;
  const sims: SimLease[] = [];
  for (const lease of leases) {
    if (!isPending(lease)) continue;
    const result = approvedCandidates(lease, exporters, policy);
    if (result.kind !== "ok") continue;
    sims.push({
      lease,
      approvals: result.approvals,
      rank: result.rank,
      dueAt: Math.max(now, lease.beginTime ?? now),
      expiresAt: requestedEnd(lease) ?? Infinity,
    });
  }
  sims.sort(queueOrder);
  const mine = sims.find((s) => s.lease.name === target.name);
  if (mine === undefined) return undefined;
  const ahead = sims.slice(0, sims.indexOf(mine))
    .filter((s) => s.dueAt <= now && intersects(s.approvals, mine.approvals))
    .map((s) => s.lease.name);
  const info: QueueInfo = { position: ahead.length + 1, ahead };
  const at = simulate(sims, mine, simExporters(leases, exporters, now, isOnline));
  if (at !== undefined) info.estimatedWaitMs = at - now;
  return info;
}

/** The approvals that could take their exporter from a spot lease (as `preemptSpotLease`). */
function preemptable(approvals: readonly Approval[], state: SimExporters): Approval[] {
  if (approvals.some((a) => state.cleaning.has(a.exporter.name))) return [];
  return approvals.filter((a) => !a.spot && state.spotHolders.has(a.exporter.name));
}

/** The exporter the scheduler would preempt for a lease: lowest-priority holder, then name. */
function victim(approvals: readonly Approval[], state: SimExporters): Approval | undefined {
  const open = preemptable(approvals, state);
  if (open.length === 0) return undefined;
  const rank = (a: Approval) => state.spotHolders.get(a.exporter.name)!;
  const lowest = Math.min(...open.map(rank));
  const named = open.filter((a) => rank(a) === lowest).map((a) => ({ name: a.exporter.name, a }));
  return pickExporter(named, new Map()).a;
}

/** When `mine` would get an exporter, replaying assignment in queue order; undefined if never. */
function simulate(sims: SimLease[], mine: SimLease, state: SimExporters): number | undefined {
  let remaining = [...sims];
  const freeAt = (name: string) => state.free.get(name) ?? Infinity;
  while (remaining.length > 0) {
    let t = Infinity;
    for (const s of remaining) {
      const soonest = preemptable(s.approvals, state).length > 0
        ? -Infinity
        : Math.min(...s.approvals.map((a) => freeAt(a.exporter.name)));
      t = Math.min(t, Math.max(s.dueAt, soonest));
    }
    if (t === Infinity) return undefined;
    if (mine.expiresAt <= t) return undefined;
    const before = remaining.length;
    remaining = remaining.filter((s) => s.expiresAt > t);
    const expired = before - remaining.length;
    const due = remaining.filter((s) => s.dueAt <= t);
    const wanted = new Map<string, number>();
    const names = (s: SimLease) => s.approvals.map((a) => a.exporter.name);
    for (const s of due) for (const n of names(s)) wanted.set(n, (wanted.get(n) ?? 0) + 1);
    const served = new Set<SimLease>();
    for (const s of due) {
      for (const n of names(s)) wanted.set(n, wanted.get(n)! - 1);
      const open = s.approvals.filter((a) => freeAt(a.exporter.name) <= t);
      const chosen = open.length > 0 ? pickApproval(open, wanted) : victim(s.approvals, state);
      if (chosen === undefined) {
        for (const n of names(s)) wanted.set(n, wanted.get(n)! + 1);
        continue;
      }
      if (s === mine) return t;
      const name = chosen.exporter.name;
      state.free.set(name, endWhenBegun(s.lease, t));
      if (chosen.spot) state.spotHolders.set(name, chosen.priority);
      else state.spotHolders.delete(name);
      served.add(s);
    }
    if (served.size === 0 && expired === 0) return undefined; // no progress: never loop
    remaining = remaining.filter((s) => !served.has(s));
  }
  return undefined;
}
