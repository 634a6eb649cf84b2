/**
 * What our own programs add to their controller calls' metadata, read by the controller: which
 * exporter process a call comes from, and how long a waiting client may go without polling.
 */
import type * as grpc from "@grpc/grpc-js";
import { INSTANCE_METADATA_KEY, WAITER_METADATA_KEY } from "@jumpstarter/lib/wire";

/**
 * The exporter process a call comes from (`INSTANCE_METADATA_KEY`, a random id our exporters add
 * to every controller call), when it says (upstream's exporters do not).
 */
export function callInstance(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get(INSTANCE_METADATA_KEY)[0];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * `WAITER_METADATA_KEY`, which our `jmp shell` adds to its GetLease polls of a lease it created
 * and waits for, says how long (seconds) the controller may go without a poll before the waiter
 * counts as gone; clamped to these bounds. Upstream has no such rule (and its clients never send
 * it), so their leases wait as long as upstream's.
 */
const WAITER_PATIENCE_MS = { min: 5_000, max: 3600_000 };

/** The patience a waiting client asked for, clamped; undefined when it did not ask. */
export function callWaiterPatience(metadata: grpc.Metadata): number | undefined {
  const seconds = Number(metadata.get(WAITER_METADATA_KEY)[0]);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return Math.min(Math.max(seconds * 1000, WAITER_PATIENCE_MS.min), WAITER_PATIENCE_MS.max);
}
