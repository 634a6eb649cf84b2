/** Time arithmetic of a lease (all epoch milliseconds). */
import type { LeaseRecord } from "../model.ts";

type Times = Pick<LeaseRecord, "duration" | "beginTime" | "endTime">;

/** The end fixed by the request alone (`endTime`, or `beginTime + duration`), if any. */
export function requestedEnd(lease: Times): number | undefined {
  if (lease.endTime !== undefined) return lease.endTime;
  if (lease.beginTime !== undefined && lease.duration !== undefined) {
    return lease.beginTime + lease.duration;
  }
  return undefined;
}

/**
 * The effective end of a lease that begins at `begin`: `endTime`, else `beginTime + duration`
 * (scheduled), else `begin + duration` (immediate).
 */
export function endWhenBegun(lease: Times, begin: number): number {
  return requestedEnd(lease) ?? begin + (lease.duration ?? 0);
}

/** True when the lease holds an exporter and has not ended. */
export function isActive(lease: LeaseRecord): boolean {
  return !lease.ended && lease.exporter !== undefined;
}

/** True when the lease waits for an exporter. */
export function isPending(lease: LeaseRecord): boolean {
  return !lease.ended && lease.exporter === undefined;
}
