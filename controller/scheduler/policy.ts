/**
 * ExporterAccessPolicy (upstream's CRD) as the scheduler applies it: which of a lease's candidate
 * exporters its client may have, under which rule (priority, spot access), and the refusal text.
 *
 * As upstream's lease reconciler decides: with no policy in the lease's namespace every candidate
 * is approved at priority 0, non-spot. Otherwise an exporter is approved by each rule of each
 * policy whose `exporterSelector` matches it and one of whose `from[].clientSelector` matches the
 * client's labels, unless the requested duration is over the rule's `maximumDuration` (then that
 * rule does not approve: the lease is refused, never clamped). An exporter no rule approves is
 * out of reach; when that leaves nothing, the lease is Unsatisfiable `NoAccess`.
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import { type CandidateResult, leaseCandidates, pickExporter } from "./candidates.ts";
import { matches, type Selector } from "./selector.ts";

/** One entry of `spec.policies`. */
export interface PolicyRule {
  description?: string;
  /** Higher first (upstream's `priority`, default 0). */
  priority: number;
  /** `from[].clientSelector`; an empty list approves no client. */
  from: Selector[];
  /** Longest lease this rule approves, in milliseconds. */
  maximumDuration?: number;
  /** Leases granted under this rule give way to a non-spot lease that needs the exporter. */
  spotAccess: boolean;
}

/** One ExporterAccessPolicy document. */
export interface AccessPolicy {
  namespace: string;
  name: string;
  exporterSelector: Selector;
  rules: PolicyRule[];
}

/** A candidate exporter with the best rule that approves it for this lease. */
export interface Approval {
  exporter: ExporterRecord;
  priority: number;
  spot: boolean;
}

/** What the scheduler needs to apply policies: the policies and each client's labels. */
export interface PolicyView {
  /** Policies of every namespace. */
  policies: readonly AccessPolicy[];
  clientLabels(namespace: string, client: string): Record<string, string>;
}

export const NO_POLICIES: PolicyView = { policies: [], clientLabels: () => ({}) };

/** Where a waiting lease stands in the queue: its best rule's spot access and priority. */
export interface Rank {
  spot: boolean;
  priority: number;
}

export type ApprovedResult =
  | Exclude<CandidateResult, { kind: "ok" }>
  /** Approved candidates by name, each with its best rule; `rank` is the lease's own. */
  | { kind: "ok"; approvals: Approval[]; rank: Rank };

/** Upstream's requested duration: `duration`, else `end - begin`, else 0. */
function requestedDuration(lease: LeaseRecord): number {
  if (lease.duration !== undefined) return lease.duration;
  if (lease.beginTime !== undefined && lease.endTime !== undefined) {
    return lease.endTime - lease.beginTime;
  }
  return 0;
}

/** True when `a` is a better rule than `b`: non-spot first, then higher priority. */
function better(a: Rank, b: Rank): boolean {
  return a.spot !== b.spot ? !a.spot : a.priority > b.priority;
}

function deniedMessage(count: number, unmatched: string[]): string {
  const base = `While there are ${count} exporters matching the selector, ` +
    "none of them are approved by any policy for your client";
  if (unmatched.length === 0) return base;
  let described = unmatched.join("; ");
  if (described.length > 4096) described = `${described.slice(0, 4096)}...`;
  return `${base}. Matching policies: ${described}`;
}

/**
 * The lease's candidates (as `leaseCandidates`) narrowed to those its client's policies approve.
 */
export function approvedCandidates(
  lease: LeaseRecord,
  exporters: readonly ExporterRecord[],
  view: PolicyView,
): ApprovedResult {
  const result = leaseCandidates(lease, exporters);
  if (result.kind !== "ok") return result;
  const policies = view.policies.filter((p) => p.namespace === lease.namespace);
  if (policies.length === 0) {
    return {
      kind: "ok",
      approvals: result.exporters.map((exporter) => ({ exporter, priority: 0, spot: false })),
      rank: { spot: false, priority: 0 },
    };
  }
  const labels = view.clientLabels(lease.namespace, lease.client);
  const duration = requestedDuration(lease);
  const approvals: Approval[] = [];
  // descriptions of rules on matching exporters that do not name this client (upstream's hint)
  const unmatched: string[] = [];
  for (const exporter of result.exporters) {
    let best: Approval | undefined;
    for (const policy of policies) {
      if (!matches(policy.exporterSelector, exporter.labels)) continue;
      for (const rule of policy.rules) {
        if (!rule.from.some((s) => matches(s, labels))) {
          if (rule.description && !unmatched.includes(rule.description)) {
            unmatched.push(rule.description);
          }
          continue;
        }
        if (rule.maximumDuration !== undefined && duration > rule.maximumDuration) continue;
        const candidate = { exporter, priority: rule.priority, spot: rule.spotAccess };
        if (best === undefined || better(candidate, best)) best = candidate;
      }
    }
    if (best !== undefined) approvals.push(best);
  }
  if (approvals.length === 0) {
    return {
      kind: "unsatisfiable",
      reason: "NoAccess",
      message: deniedMessage(result.exporters.length, unmatched),
    };
  }
  const best = approvals.reduce((a, b) => better(b, a) ? b : a);
  return { kind: "ok", approvals, rank: { spot: best.spot, priority: best.priority } };
}

/**
 * Queue order of waiting leases: those with a non-spot rule before spot-only ones (which a
 * non-spot lease would preempt at once), then higher priority, then FIFO (`sequence`).
 */
export function queueOrder(
  a: { rank: Rank; lease: LeaseRecord },
  b: { rank: Rank; lease: LeaseRecord },
): number {
  if (a.rank.spot !== b.rank.spot) return a.rank.spot ? 1 : -1;
  return b.rank.priority - a.rank.priority || a.lease.sequence - b.lease.sequence;
}

/**
 * Picks among free approvals as upstream orders them (non-spot, then higher priority), then as
 * `pickExporter` does (the exporter fewest other waiting leases could use, then by name).
 */
export function pickApproval(
  free: readonly Approval[],
  wanted: ReadonlyMap<string, number>,
): Approval {
  const nonSpot = free.filter((a) => !a.spot);
  const pool = nonSpot.length > 0 ? nonSpot : free;
  const top = Math.max(...pool.map((a) => a.priority));
  const named = pool.filter((a) => a.priority === top).map((a) => ({ name: a.exporter.name, a }));
  return pickExporter(named, wanted).a;
}
