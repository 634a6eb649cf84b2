/**
 * One reconciliation pass over a LeaseBook at one instant: end what must end (released,
 * expired), then hand free exporters to waiting leases in FIFO order (`sequence`).
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import {
  availability,
  leaseCandidates,
  type OnlinePredicate,
  pendingReason,
  pickExporter,
} from "./candidates.ts";
import { setCondition } from "./conditions.ts";
import type { LeaseBook } from "./lease_book.ts";
import { endWhenBegun, isActive, isPending, requestedEnd } from "./lease_time.ts";

export interface PassContext {
  now: number;
  /** Exporters of every namespace. */
  exporters: readonly ExporterRecord[];
  isOnline: OnlinePredicate;
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

function assign(lease: LeaseRecord, exporter: string, now: number): void {
  lease.exporter = exporter;
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
  candidates: ExporterRecord[];
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
  const leased = new Set(leases.filter(isActive).map((l) => l.exporter!));
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
    const result = leaseCandidates(lease, exporters);
    if (result.kind === "ok") waiting.push({ lease, candidates: result.exporters });
    else {endWith(
        lease,
        result.kind === "invalid" ? "Invalid" : "Unsatisfiable",
        result.reason,
        result.message,
        now,
      );}
  }
  // How many waiting leases could use each exporter (for pickExporter's tie-break).
  const wanted = new Map<string, number>();
  for (const w of waiting) count(wanted, w.candidates.map((e) => e.name), 1);
  for (const { lease, candidates } of waiting) {
    const names = candidates.map((e) => e.name);
    count(wanted, names, -1);
    const states = candidates.map((e) => availability(e, leased, online.get(e.name) === true));
    const free = candidates.filter((_, i) => states[i] === "available");
    if (free.length > 0) {
      const chosen = pickExporter(free, wanted);
      assign(lease, chosen.name, now);
      leased.add(chosen.name);
    } else {
      count(wanted, names, 1);
      setCondition(lease.conditions, {
        type: "Pending",
        status: "True",
        ...pendingReason(candidates, states),
      }, now);
    }
  }
}

/** Assigns exporters to due pending leases, FIFO per namespace. */
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
