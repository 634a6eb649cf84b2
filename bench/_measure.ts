/**
 * Shared by the benchmarks: option parsing, nearest-rank percentiles and round splitting.
 */

/** Parses a positive integer option, or returns `fallback` when it was not given. */
export function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`--${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

/** p50, p99 and mean of `samples` (in whatever unit they are). */
export function latencySummary(samples: readonly number[]): {
  p50: number;
  p99: number;
  mean: number;
} {
  const sorted = samples.toSorted((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: samples.reduce((sum, x) => sum + x, 0) / samples.length,
  };
}

/** How many of `total` calls round `round` of `rounds` makes (the first ones take the rest). */
export function callsInRound(total: number, rounds: number, round: number): number {
  return Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);
}
