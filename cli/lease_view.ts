/**
 * How leases look on the terminal: the table, `-o json|yaml` documents (our field names, plus
 * upstream HEAD's tags and context) and `-o name`.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  bareName,
  conditionOf,
  ESTIMATED_WAIT_KEY,
  type Lease,
  QUEUE_POSITION_KEY,
  queueInfo,
} from "@jumpstarter/lib/client";
import { formatDuration } from "./duration.ts";
import type { OutputMode } from "./output.ts";
import { printStructured } from "./output.ts";
import { printTable } from "./table.ts";

/** What the LEASE STATUS / STATUS column says. */
export function leaseState(lease: Lease): string {
  const ready = conditionOf(lease, "Ready");
  if (ready?.status === "True") return "Ready";
  if (ready?.status === "False") return ready.reason ?? "Ended";
  if (conditionOf(lease, "Unsatisfiable")?.status === "True") return "Unsatisfiable";
  if (conditionOf(lease, "Invalid")?.status === "True") return "Invalid";
  const { position, estimatedWaitSeconds } = queueInfo(lease);
  if (position !== undefined) {
    const wait = estimatedWaitSeconds === undefined
      ? ""
      : `, ~${formatDuration(estimatedWaitSeconds * 1000)}`;
    return `Waiting (#${position}${wait})`;
  }
  return conditionOf(lease, "Pending")?.reason ?? "Pending";
}

/** A timestamp as `2026-01-31T09:00:00Z`, or "" when unset. */
export function isoDate(ts: Lease["effectiveBeginTime"]): string {
  return ts ? timestampDate(ts).toISOString().replace(/\.\d+Z$/, "Z") : "";
}

/** The client's own context entries (without the queue keys our controller adds). */
export function userContext(lease: Lease): Record<string, string> {
  const context = { ...lease.context };
  delete context[QUEUE_POSITION_KEY];
  delete context[ESTIMATED_WAIT_KEY];
  return context;
}

function pairs(map: Record<string, string>): string {
  return Object.entries(map).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`).join(",");
}

/** A lease as printed with -o json|yaml. */
export function leaseDocument(lease: Lease) {
  const queue = queueInfo(lease);
  return {
    name: bareName(lease.name),
    selector: lease.selector,
    exporter: lease.exporter ? bareName(lease.exporter) : null,
    client: lease.client ? bareName(lease.client) : null,
    duration: lease.duration ? `${Number(lease.duration.seconds)}s` : null,
    beginTime: isoDate(lease.beginTime) || null,
    effectiveBeginTime: isoDate(lease.effectiveBeginTime) || null,
    effectiveEndTime: isoDate(lease.effectiveEndTime) || null,
    tags: { ...lease.tags },
    context: userContext(lease),
    allowDisabled: lease.allowDisabled,
    conditions: lease.conditions.map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    ...(queue.position === undefined ? {} : { queuePosition: queue.position }),
    ...(queue.estimatedWaitSeconds === undefined
      ? {}
      : { estimatedWaitSeconds: queue.estimatedWaitSeconds }),
  };
}

/** When a lease ends (or ended): its effective end, else its (planned) begin plus duration. */
export function expiresAt(lease: Lease): Date | undefined {
  const ms = (ts: Lease["effectiveBeginTime"]) => ts ? timestampDate(ts).getTime() : undefined;
  const duration = lease.duration ? Number(lease.duration.seconds) * 1000 : undefined;
  const end = ms(lease.effectiveEndTime);
  if (end !== undefined) return new Date(end);
  const begin = ms(lease.effectiveBeginTime) ?? ms(lease.beginTime);
  return begin === undefined || duration === undefined ? undefined : new Date(begin + duration);
}

/** `1d 2h 5m`, or `expired`, as upstream's REMAINING column. */
function remaining(ms: number): string {
  if (ms <= 0) return "expired";
  const minutes = Math.floor(ms / 60_000);
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor(minutes / 60) % 24, minutes % 60];
  const parts = [...(d ? [`${d}d`] : []), ...(h ? [`${h}h`] : [])];
  if (m || parts.length === 0) parts.push(`${m}m`);
  return parts.join(" ");
}

/** Prints leases as a table, documents or names. */
export function printLeases(leases: Lease[], output: OutputMode | undefined): void {
  if (output === "name") {
    for (const lease of leases) console.log(bareName(lease.name));
  } else if (output) {
    printStructured(leases.map(leaseDocument), output);
  } else {
    // upstream HEAD's columns, then our STATUS (with the queue place of a waiting lease)
    printTable(
      ["name", "selector", "expires at", "remaining", "client", "exporter", "tags", "status"],
      leases.map((lease) => {
        const expires = expiresAt(lease);
        return [
          bareName(lease.name),
          lease.selector,
          expires === undefined ? "" : expires.toISOString().slice(0, 19).replace("T", " "),
          expires === undefined ? "" : remaining(expires.getTime() - Date.now()),
          lease.client ? bareName(lease.client) : "",
          lease.exporter ? bareName(lease.exporter) : "",
          pairs(lease.tags),
          leaseState(lease),
        ];
      }),
    );
  }
}
