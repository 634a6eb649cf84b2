/**
 * Spot access: a lease granted under a `spotAccess` rule holds its exporter until a waiting lease
 * approved for that exporter under a non-spot rule needs it; then the spot lease ends
 * (Ready=False, reason `Preempted`) and the exporter goes to the queue as after any release.
 *
 * Upstream's controller stops short of this ("spot access eviction still not implemented": a
 * lease whose best rule is spot is refused, and a non-spot one waits behind a spot holder); its
 * TODO asks for it, and our scheduler does it.
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import type { Availability } from "./candidates.ts";
import { setCondition } from "./conditions.ts";
import type { Approval } from "./policy.ts";

export const PREEMPTED_MESSAGE =
  "The lease was preempted: its exporter was given to a lease without spot access";

/**
 * An unleased exporter on its way to Available (hooks running, the last lease's status not yet
 * cleared): worth waiting for rather than preempting. A failed hook is not on its way.
 */
export function cleaningUp(exporter: ExporterRecord): boolean {
  return exporter.status === "AfterLeaseHook" || exporter.status === "BeforeLeaseHook" ||
    exporter.status === "LeaseReady";
}

/** Ends a spot lease now in favour of a non-spot one. */
export function markPreempted(lease: LeaseRecord, now: number): void {
  lease.ended = true;
  lease.effectiveEndTime = now;
  setCondition(lease.conditions, {
    type: "Ready",
    status: "False",
    reason: "Preempted",
    message: PREEMPTED_MESSAGE,
  }, now);
}

/**
 * For a waiting lease with these approvals (and their availability): when none is free or about
 * to be (`cleaningUp`: already on its way), ends the spot lease
 * on one of its non-spot approvals (the lowest-priority holder, then the exporter's name) and
 * returns it; undefined when there is nothing to preempt.
 */
export function preemptSpotLease(
  approvals: readonly Approval[],
  states: readonly Availability[],
  holders: ReadonlyMap<string, LeaseRecord>,
  now: number,
): LeaseRecord | undefined {
  const coming = (a: Approval, i: number) =>
    states[i] === "available" || (states[i] === "notReady" && cleaningUp(a.exporter));
  if (approvals.some(coming)) return undefined;
  let victim: LeaseRecord | undefined;
  for (const [i, approval] of approvals.entries()) {
    if (approval.spot || states[i] !== "leased") continue;
    const holder = holders.get(approval.exporter.name);
    if (holder?.spotAccess !== true) continue;
    if (
      victim === undefined || (holder.priority ?? 0) < (victim.priority ?? 0) ||
      ((holder.priority ?? 0) === (victim.priority ?? 0) && holder.exporter! < victim.exporter!)
    ) {
      victim = holder;
    }
  }
  if (victim !== undefined) markPreempted(victim, now);
  return victim;
}
