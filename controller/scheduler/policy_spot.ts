/**
 * Spot access: a lease granted under a `spotAccess` rule holds its exporter until a waiting lease
 * approved for that exporter under a non-spot rule needs it; then the spot lease ends
 * (Ready=False, reason `Preempted`) and the exporter goes to the queue as after any release.
 *
 * Upstream's controller stops short of this ("spot access eviction still not implemented": a
 * lease whose best rule is spot is refused, and a non-spot one waits behind a spot holder); its
 * TODO asks for it, and our scheduler does it.
 */
import type { LeaseRecord } from "../model.ts";
import type { Availability } from "./candidates.ts";
import { setCondition } from "./conditions.ts";
import type { Approval } from "./policy.ts";

export const PREEMPTED_MESSAGE =
  "The lease was preempted: its exporter was given to a lease without spot access";

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
 * to be (an exporter still cleaning up after a lease is already on its way), ends the spot lease
 * on one of its non-spot approvals (the lowest-priority holder, then the exporter's name) and
 * returns it; undefined when there is nothing to preempt.
 */
export function preemptSpotLease(
  approvals: readonly Approval[],
  states: readonly Availability[],
  holders: ReadonlyMap<string, LeaseRecord>,
  now: number,
): LeaseRecord | undefined {
  if (states.some((s) => s === "available" || s === "notReady")) return undefined;
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
