/**
 * One reconciliation pass over a LeaseBook at one instant: end what must end (released,
 * expired), then hand free exporters to waiting leases in queue order (non-spot before spot,
 * higher access-policy priority first, FIFO within a priority), ending spot leases a non-spot
 * lease needs.
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import { availability, type OnlinePredicate, pendingReason } from "./candidates.ts";
import { setCondition } from "./conditions.ts";
import type { LeaseBook } from "./lease_book.ts";
import { endWhenBegun, isActive, isPending, requestedEnd } from "./lease_time.ts";
import {
  type Approval,
  approvedCandidates,
  pickApproval,
  type PolicyView,
  queueOrder,
  type Rank,
} from "./policy.ts";
import { preemptSpotLease } from "./policy_spot.ts";

export interface PassContext {
  now: number;
  /** Exporters of every namespace. */
  exporters: readonly ExporterRecord[];
  isOnline: OnlinePredicate;
  /** Access policies and client labels (none: every candidate approved, as upstream). */
  policy: PolicyView;
}

export const READY_MESSAGE = "An exporter has been acquired for the client";

/** Marks a lease released now (never later than its effective end). */
export function markReleased(lease: LeaseRecord, now: number, message?: string): void {
  lease.release = true;
  lease.ended = true;
  lease.effectiveEndTime = Math.min(now, lease.effectiveEndTime ?? now);
  setCondition(lease.conditions, {
    type: "Ready",
    status: "False",
    reason: "Released",
    message: message ?? "The lease was marked for release",
  }, now);
}

function markExpired(lease: LeaseRecord, end: number, now: number): void {
  lease.ended = true;
  lease.effectiveEndTime = end;
  setCondition(lease.conditions, {
    type: "Ready",
    status: "False",
    reason: "Expired",
    message: lease.exporter === undefined
      ? "The lease expired before an exporter became available"
      : "The lease has expired",
  }, now);
}

/** Ends released leases and leases whose end has come (`now >= end`: the end is exclusive). */
export function endLeases(book: LeaseBook, now: number): void {
  for (const lease of book.all()) {
    if (lease.ended) continue;
    if (lease.release) {
      markReleased(lease, now);
    } else if (isActive(lease)) {
      const end = lease.effectiveEndTime;
      if (end !== undefined && now >= end) markExpired(lease, end, now);
    } else {
      const end = requestedEnd(lease);
      if (end !== undefined && now >= end) markExpired(lease, end, now);
    }
  }
}

function endWith(
  lease: LeaseRecord,
  type: "Invalid" | "Unsatisfiable",
  reason: string,
  message: string,
  now: number,
): void {
  setCondition(lease.conditions, { type, status: "True", reason, message }, now);
  lease.ended = true;
  lease.effectiveEndTime = now;
}

function assign(lease: LeaseRecord, approval: Approval, now: number): void {
  lease.exporter = approval.exporter.name;
  if (approval.priority !== 0) lease.priority = approval.priority;
  if (approval.spot) lease.spotAccess = true;
  lease.effectiveBeginTime = now;
  lease.effectiveEndTime = endWhenBegun(lease, now);
  // Pending (if any) is left as it was, as upstream does: Ready decides.
  setCondition(lease.conditions, {
    type: "Ready",
    status: "True",
    reason: "Ready",
    message: READY_MESSAGE,
  }, now);
}

interface Waiting {
  lease: LeaseRecord;
  approvals: Approval[];
  rank: Rank;
}

function count(wanted: Map<string, number>, names: Iterable<string>, delta: number): void {
  for (const n of names) wanted.set(n, (wanted.get(n) ?? 0) + delta);
}

function scheduleNamespace(
  leases: LeaseRecord[],
  exporters: ExporterRecord[],
  ctx: PassContext,
): void {
  const { now } = ctx;
  const holders = new Map(leases.filter(isActive).map((l) => [l.exporter!, l]));
  const leased = new Set(holders.keys());
  const online = new Map(exporters.map((e) => [e.name, ctx.isOnline(e, now)]));
  const waiting: Waiting[] = [];
  for (const lease of leases) {
    if (!isPending(lease)) continue;
    if (lease.beginTime !== undefined && lease.beginTime > now) {
      setCondition(lease.conditions, {
        type: "Pending",
        status: "True",
        reason: "Scheduled",
        message: `The lease begins at ${new Date(lease.beginTime).toISOString()}`,
      }, now);
      continue;
    }
    const result = approvedCandidates(lease, exporters, ctx.policy);
    if (result.kind !== "ok") {
      const type = result.kind === "invalid" ? "Invalid" : "Unsatisfiable";
      endWith(lease, type, result.reason, result.message, now);
      continue;
    }
    waiting.push({ lease, approvals: result.approvals, rank: result.rank });
  }
  waiting.sort(queueOrder);
  // How many waiting leases could use each exporter (for pickExporter's tie-break).
  const wanted = new Map<string, number>();
  const namesOf = (w: Waiting) => w.approvals.map((a) => a.exporter.name);
  for (const w of waiting) count(wanted, namesOf(w), 1);
  const stateOf = (e: ExporterRecord) => availability(e, leased, online.get(e.name) === true);
  for (const w of waiting) {
    const { lease, approvals } = w;
    count(wanted, namesOf(w), -1);
    let states = approvals.map((a) => stateOf(a.exporter));
    const preempted = preemptSpotLease(approvals, states, holders, now);
    if (preempted !== undefined) {
      leased.delete(preempted.exporter!);
      holders.delete(preempted.exporter!);
      states = approvals.map((a) => stateOf(a.exporter));
    }
    const free = approvals.filter((_, i) => states[i] === "available");
    if (free.length > 0) {
      const chosen = pickApproval(free, wanted);
      assign(lease, chosen, now);
      leased.add(chosen.exporter.name);
      holders.set(chosen.exporter.name, lease);
    } else {
      count(wanted, namesOf(w), 1);
      setCondition(lease.conditions, {
        type: "Pending",
        status: "True",
        ...pendingReason(approvals.map((a) => a.exporter), states),
      }, now);
    }
  }
}

/** Assigns exporters to due pending leases, in queue order per namespace. */
export function scheduleLeases(book: LeaseBook, ctx: PassContext): void {
  const byNamespace = new Map<string, LeaseRecord[]>();
  for (const lease of book.all()) {
    if (lease.ended) continue;
    const list = byNamespace.get(lease.namespace) ?? [];
    list.push(lease);
    byNamespace.set(lease.namespace, list);
  }
  for (const [namespace, leases] of byNamespace) {
    if (!leases.some(isPending)) continue;
    scheduleNamespace(leases, ctx.exporters.filter((e) => e.namespace === namespace), ctx);
  }
}

/** A full pass: end, then schedule. */
export function runPass(book: LeaseBook, ctx: PassContext): void {
  endLeases(book, ctx.now);
  scheduleLeases(book, ctx);
}
