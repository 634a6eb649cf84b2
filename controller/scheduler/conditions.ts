/** Lease conditions, keyed by type like `meta.SetStatusCondition`. */
import type { LeaseCondition } from "../model.ts";

export type ConditionType = LeaseCondition["type"];

export function getCondition(
  conditions: readonly LeaseCondition[],
  type: ConditionType,
): LeaseCondition | undefined {
  return conditions.find((c) => c.type === type);
}

export function isConditionTrue(
  conditions: readonly LeaseCondition[],
  type: ConditionType,
): boolean {
  return getCondition(conditions, type)?.status === "True";
}

/**
 * Sets a condition in place: a new type is appended; an existing one keeps its position and
 * its `lastTransitionTime` unless its status changes.
 */
export function setCondition(
  conditions: LeaseCondition[],
  condition: Omit<LeaseCondition, "lastTransitionTime">,
  now: number,
): void {
  const existing = getCondition(conditions, condition.type);
  if (existing === undefined) {
    conditions.push({ ...condition, lastTransitionTime: now });
    return;
  }
  if (existing.status !== condition.status) existing.lastTransitionTime = now;
  existing.status = condition.status;
  existing.reason = condition.reason;
  existing.message = condition.message;
}
