/**
 * The labels a lease carries at HEAD, which `ListLeases.filter` matches: the selector's
 * `matchLabels`, `metadata.jumpstarter.dev/<tag>` per tag, and
 * `jumpstarter.dev/lease-ended: "true"` once ended.
 */
import type { LeaseRecord } from "../model.ts";
import { cachedSelector } from "./candidates.ts";
import { toLabelSelector } from "./selector_convert.ts";

export const LEASE_ENDED_LABEL = "jumpstarter.dev/lease-ended";
export const TAG_LABEL_PREFIX = "metadata.jumpstarter.dev/";

export function leaseLabels(lease: LeaseRecord): Record<string, string> {
  const labels: Record<string, string> = {};
  const selector = cachedSelector(lease.selector);
  if (!(selector instanceof Error)) Object.assign(labels, toLabelSelector(selector).matchLabels);
  for (const [key, value] of Object.entries(lease.tags)) labels[TAG_LABEL_PREFIX + key] = value;
  if (lease.ended) labels[LEASE_ENDED_LABEL] = "true";
  return labels;
}
