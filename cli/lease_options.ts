/**
 * Option values shared by the lease commands (`create`, `update`, `shell`): `--begin-time`,
 * repeatable `k=v` maps (`--tag`, `--context`) and repeatable selectors.
 */
import { UsageError } from "./errors.ts";

/** Commander collector for a repeatable option. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Parses `--begin-time`: ISO 8601; a time without an offset is local time, as upstream's.
 *
 * @throws {UsageError} naming the flag when it is not a date and time.
 */
export function parseBeginTime(text: string, flag = "--begin-time"): Date {
  const isoLike = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
  const date = isoLike.test(text.trim()) ? new Date(text.trim().replace(" ", "T")) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `Invalid value for '${flag}': '${text}' is not an ISO 8601 date and time ` +
        "(e.g. 2026-01-31T09:00:00 or 2026-01-31T09:00:00+01:00)",
    );
  }
  return date;
}

/**
 * Turns repeated `KEY=VALUE` options into a map.
 *
 * @throws {UsageError} naming the flag on an entry without `=` or with an empty key.
 */
export function parsePairs(values: string[], flag: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0) {
      throw new UsageError(`Invalid value for '${flag}': '${value}' is not KEY=VALUE`);
    }
    pairs[value.slice(0, at)] = value.slice(at + 1);
  }
  return pairs;
}

/** Repeated `-l` selectors as one selector text (upstream HEAD comma-joins them). */
export function joinSelectors(selectors: string[] | undefined): string {
  return (selectors ?? []).filter((s) => s !== "").join(",");
}
