/** UpdateLease semantics: which requested times change together. */
import type { LeaseRecord } from "../model.ts";
import { SchedulerError } from "./errors.ts";
import { endWhenBegun } from "./lease_time.ts";
import { checkTimes, type LeaseTimes } from "./validate.ts";

export interface UpdateLeaseRequest {
  /** New duration: the end moves with it (from the requested or actual begin). */
  duration?: number;
  /** New scheduled begin; only before the lease has begun. The duration is kept. */
  beginTime?: number;
  /** New end: the duration follows it when the begin is known. */
  endTime?: number;
  /** Transfer the lease to this client (same namespace). */
  client?: string;
}

function invalid(message: string): never {
  throw new SchedulerError("InvalidArgument", message);
}

function setOptional<K extends keyof LeaseTimes>(
  lease: LeaseRecord,
  key: K,
  value: number | undefined,
): void {
  if (value === undefined) delete lease[key];
  else lease[key] = value;
}

/** Applies an update to a lease that has not ended; throws SchedulerError, changing nothing. */
export function applyUpdate(lease: LeaseRecord, update: UpdateLeaseRequest, now: number): void {
  const begun = lease.exporter !== undefined;
  if (update.client !== undefined && update.client === "") invalid("client must not be empty");
  if (update.beginTime !== undefined && begun) {
    throw new SchedulerError(
      "FailedPrecondition",
      "cannot change begin_time: the lease has already begun",
    );
  }
  if (update.endTime !== undefined && update.endTime <= now) invalid("end_time is in the past");
  let { duration, beginTime, endTime } = lease;
  if (update.beginTime !== undefined) {
    beginTime = update.beginTime;
    // keep the length: a fixed end moves with the begin
    if (update.endTime === undefined && endTime !== undefined && duration !== undefined) {
      endTime = beginTime + duration;
    }
  }
  const begin = beginTime ?? lease.effectiveBeginTime;
  if (update.endTime !== undefined) {
    endTime = update.endTime;
    if (update.duration === undefined && begin !== undefined) duration = endTime - begin;
  }
  if (update.duration !== undefined) {
    duration = update.duration;
    if (update.endTime === undefined && endTime !== undefined) {
      endTime = begin === undefined ? undefined : begin + duration;
    }
  }
  const times: LeaseTimes = {};
  if (duration !== undefined) times.duration = duration;
  if (beginTime !== undefined) times.beginTime = beginTime;
  if (endTime !== undefined) times.endTime = endTime;
  const checked = checkTimes(times, now);
  if (begun) {
    const end = endWhenBegun(checked, lease.effectiveBeginTime ?? now);
    if (end <= now) invalid("the new end is not in the future (release the lease instead)");
    if (
      begin !== undefined && duration !== undefined && endTime !== undefined &&
      begin + duration !== endTime
    ) {
      invalid("duration does not match the begin and end time");
    }
  }
  // All checks passed: apply.
  setOptional(lease, "duration", checked.duration);
  setOptional(lease, "beginTime", checked.beginTime);
  setOptional(lease, "endTime", checked.endTime);
  if (begun) lease.effectiveEndTime = endWhenBegun(lease, lease.effectiveBeginTime ?? now);
  if (update.client !== undefined) lease.client = update.client;
}
