/**
 * Which exporters a lease may get, and which of those are free now (spec §7.2 "Scheduling").
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import { isEverything, matches, parseSelector, type Selector } from "./selector.ts";

/** Decides whether an exporter is online at `now`. */
export type OnlinePredicate = (exporter: ExporterRecord, now: number) => boolean;

/** Online = not reporting Offline and seen within `windowMs` (upstream: 1 minute). */
export function lastSeenWithin(windowMs = 60_000): OnlinePredicate {
  return (e, now) => e.status !== "Offline" && e.lastSeen > 0 && now - e.lastSeen <= windowMs;
}

export type CandidateResult =
  | { kind: "invalid"; reason: string; message: string }
  | { kind: "unsatisfiable"; reason: string; message: string }
  /** Matching exporters the lease may use (enabled, or any with allowDisabled), by name. */
  | { kind: "ok"; exporters: ExporterRecord[] };

const selectorCache = new Map<string, Selector | Error>();

/** Parses (memoised; selectors repeat across passes) or returns the error. */
export function cachedSelector(text: string): Selector | Error {
  let s = selectorCache.get(text);
  if (s === undefined) {
    try {
      s = parseSelector(text);
    } catch (error) {
      s = error instanceof Error ? error : new Error(String(error));
    }
    if (selectorCache.size >= 1000) selectorCache.clear();
    selectorCache.set(text, s);
  }
  return s;
}

function byName(a: ExporterRecord, b: ExporterRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The lease's candidates among `exporters` (its namespace's), or why it can never be served. */
export function leaseCandidates(
  lease: LeaseRecord,
  exporters: readonly ExporterRecord[],
): CandidateResult {
  const selector = cachedSelector(lease.selector);
  if (selector instanceof Error) {
    return { kind: "invalid", reason: "InvalidSelector", message: selector.message };
  }
  const allowDisabled = lease.allowDisabled === true;
  if (lease.exporterName !== undefined) {
    const named = exporters.find((e) => e.name === lease.exporterName);
    if (named === undefined) {
      return {
        kind: "unsatisfiable",
        reason: "ExporterNotFound",
        message: `Requested exporter ${lease.exporterName} was not found`,
      };
    }
    if (!matches(selector, named.labels)) {
      return {
        kind: "unsatisfiable",
        reason: "SelectorMismatch",
        message: `Requested exporter ${named.name} does not match selector ${lease.selector}`,
      };
    }
    if (!named.enabled && !allowDisabled) {
      return {
        kind: "unsatisfiable",
        reason: "ExporterDisabled",
        message: `Requested exporter ${named.name} is disabled. To lease a disabled exporter, ` +
          "set allow_disabled on the lease (--allow-disabled with jmp create lease or jmp shell)",
      };
    }
    return { kind: "ok", exporters: [named] };
  }
  if (isEverything(selector)) {
    return {
      kind: "invalid",
      reason: "InvalidSelector",
      message: "The selector for the lease is empty, a selector is required",
    };
  }
  const matching = exporters.filter((e) => matches(selector, e.labels));
  if (matching.length === 0) {
    // HEAD reports this as NoAccess (no matching exporter is approved). Not "NoExporter": HEAD
    // clients take that reason (from ctl-0.7, where it meant "all offline") as transient and
    // recreate the lease every 5 s until their acquisition timeout.
    return {
      kind: "unsatisfiable",
      reason: "NoAccess",
      message: `There are no exporters matching the selector ${lease.selector}`,
    };
  }
  const usable = allowDisabled ? matching : matching.filter((e) => e.enabled);
  if (usable.length === 0) {
    return {
      kind: "unsatisfiable",
      reason: "AllDisabled",
      message: `All ${matching.length} exporters matching the selector are disabled`,
    };
  }
  return { kind: "ok", exporters: [...usable].sort(byName) };
}

export type Availability = "available" | "leased" | "notReady" | "offline";

/** Statuses that accept a new lease (plus an empty one, which the model maps to Unspecified). */
export function acceptsLeases(exporter: ExporterRecord): boolean {
  return exporter.status === "Available" || exporter.status === "Unspecified";
}

export function availability(
  exporter: ExporterRecord,
  leased: ReadonlySet<string>,
  online: boolean,
): Availability {
  if (!online) return "offline";
  if (leased.has(exporter.name)) return "leased";
  if (!acceptsLeases(exporter)) return "notReady";
  return "available";
}

/** Pending reason and message (upstream's texts) for a lease none of whose candidates is free. */
export function pendingReason(
  exporters: readonly ExporterRecord[],
  states: readonly Availability[],
): { reason: string; message: string } {
  const online = exporters.filter((_, i) => states[i] !== "offline");
  if (online.length === 0) {
    return {
      reason: "Offline",
      message: `While there are ${exporters.length} available exporters (i.e. ${
        exporters[0]?.name ?? ""
      }), none of them are online`,
    };
  }
  const free = exporters.filter((_, i) => states[i] === "notReady");
  if (free.length > 0) {
    return {
      reason: "NotReady",
      message: `There are ${free.length} online exporters, but none are ready ` +
        `(still cleaning up previous lease)`,
    };
  }
  return {
    reason: "NotAvailable",
    message: `There are ${online.length} approved exporters, (i.e. ${
      online[0]?.name ?? ""
    }) but all of them are already leased`,
  };
}

/**
 * Picks among free exporters: the one fewest other waiting leases could use (so a lease with a
 * choice does not take the only board another one can use), then by name (upstream's order).
 */
export function pickExporter<T extends { name: string }>(
  free: readonly T[],
  wanted: ReadonlyMap<string, number>,
): T {
  let best = free[0]!;
  for (const e of free.slice(1)) {
    const a = wanted.get(e.name) ?? 0;
    const b = wanted.get(best.name) ?? 0;
    if (a < b || (a === b && e.name < best.name)) best = e;
  }
  return best;
}
