/** Validation of lease requests (spec §7.2, HEAD rules). Throws SchedulerError InvalidArgument. */
import { SchedulerError } from "./errors.ts";
import { dnsSubdomainProblem, labelKeyProblem, labelValueProblem } from "./label_names.ts";
import { canonicalSelector } from "./selector_convert.ts";

function invalid(message: string): never {
  throw new SchedulerError("InvalidArgument", message);
}

function checkTime(name: string, value: number | undefined): void {
  if (value !== undefined && !Number.isFinite(value)) invalid(`${name} must be a finite number`);
}

/** Canonical selector text ("" allowed only with an exporter name). */
export function checkSelector(
  selector: string | undefined,
  exporterName: string | undefined,
): string {
  if (exporterName !== undefined && exporterName === "") invalid("exporter_name must not be empty");
  const text = (selector ?? "").trim();
  if (text === "" && exporterName === undefined) {
    invalid("one of selector or exporter_name is required");
  }
  try {
    return canonicalSelector(text);
  } catch (error) {
    return invalid((error as Error).message);
  }
}

export function checkName(name: string): void {
  const problem = dnsSubdomainProblem(name);
  if (problem !== undefined) invalid(`invalid lease name ${JSON.stringify(name)}: ${problem}`);
}

/** Tags become lease labels `metadata.jumpstarter.dev/<key>`: plain label names and values. */
export function checkTags(tags: Record<string, string>, maxTags: number): void {
  const entries = Object.entries(tags);
  if (entries.length > maxTags) invalid(`too many tags: ${entries.length} (at most ${maxTags})`);
  for (const [key, value] of entries) {
    if (key.includes("/")) invalid(`tag key ${JSON.stringify(key)} must not contain '/'`);
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) invalid(`tag key ${JSON.stringify(key)} ${keyProblem}`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) invalid(`tag ${JSON.stringify(key)} value ${valueProblem}`);
  }
}

/** Upstream HEAD's limits on a lease's context: 8 entries, keys 32 and values 64 characters. */
export function checkContext(context: Record<string, string>): void {
  const entries = Object.entries(context);
  if (entries.length > 8) invalid(`too many context entries: ${entries.length} (at most 8)`);
  for (const [key, value] of entries) {
    if (key === "" || key.length > 32) {
      invalid(`context key ${JSON.stringify(key)} must be 1 to 32 characters`);
    }
    if (value.length > 64) invalid(`context ${JSON.stringify(key)} value is over 64 characters`);
  }
}

export interface LeaseTimes {
  duration?: number;
  beginTime?: number;
  endTime?: number;
}

/**
 * Checks requested times: duration positive or derivable from begin and end (then filled in),
 * end after begin and after now, and no contradiction between the three.
 */
export function checkTimes(times: LeaseTimes, now: number): LeaseTimes {
  const { duration, beginTime, endTime } = times;
  checkTime("duration", duration);
  checkTime("begin_time", beginTime);
  checkTime("end_time", endTime);
  if (duration !== undefined && duration <= 0) invalid("duration must be positive");
  const out: LeaseTimes = {};
  if (beginTime !== undefined) out.beginTime = beginTime;
  if (endTime !== undefined) out.endTime = endTime;
  if (beginTime !== undefined && endTime !== undefined) {
    if (endTime <= beginTime) invalid("end_time must be after begin_time");
    if (duration !== undefined && beginTime + duration !== endTime) {
      invalid("duration does not match begin_time and end_time");
    }
    out.duration = endTime - beginTime;
  } else if (duration !== undefined) {
    out.duration = duration;
  } else if (endTime === undefined) {
    invalid("duration is required (or begin_time and end_time, or end_time)");
  }
  if (endTime !== undefined && endTime <= now) invalid("end_time is in the past");
  return out;
}
