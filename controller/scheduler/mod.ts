/** Lease scheduling: label selectors, the Scheduler and its building blocks. */
export {
  formatRequirement,
  formatSelector,
  isEverything,
  makeSelector,
  matches,
  type Operator,
  parseSelector,
  type Requirement,
  type Selector,
  SelectorSyntaxError,
} from "./selector.ts";
export {
  canonicalSelector,
  formatLabelSelector,
  fromLabelSelector,
  LabelSelectorError,
  type LabelSelectorOperator,
  type LabelSelectorRequirementShape,
  type LabelSelectorShape,
  toLabelSelector,
} from "./selector_convert.ts";
export { type Clock, FakeClock, systemClock } from "./clock.ts";
export { SchedulerError, type SchedulerErrorCode } from "./errors.ts";
export { lastSeenWithin, type OnlinePredicate } from "./candidates.ts";
export { getCondition, isConditionTrue } from "./conditions.ts";
export { LEASE_ENDED_LABEL, leaseLabels, TAG_LABEL_PREFIX } from "./labels.ts";
export { isActive, isPending, requestedEnd } from "./lease_time.ts";
export type { QueueInfo } from "./queue.ts";
export { uuidv7 } from "./uuid.ts";
export {
  type CreateLeaseRequest,
  type LeaseResult,
  type ListLeasesOptions,
  type ReleaseOptions,
  Scheduler,
  type SchedulerOptions,
  type UpdateLeaseRequest,
} from "./scheduler.ts";
export type { AccessPolicy, PolicyRule } from "./policy.ts";
export { loadAccessPolicies, parseAccessPolicies } from "./policy_load.ts";
export { PolicyFile, type PolicyFileOptions } from "./policy_file.ts";
