/**
 * Shared by the benchmarks: option parsing, nearest-rank percentiles and round splitting.
 */
import { parseArgs } from "node:util";

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

/**
 * A benchmark's options from `args`: each of `ints` a positive integer (`--name N`, the value
 * given there when absent), each of `flags` a boolean (`--name`), in that order.
 */
export function benchOptions<I extends string, F extends string>(
  args: string[],
  ints: Record<I, number>,
  flags: readonly F[],
): Record<I, number> & Record<F, boolean> {
  const intNames = Object.keys(ints) as I[];
  const { values }: { values: Record<string, unknown> } = parseArgs({
    args,
    options: Object.fromEntries([
      ...intNames.map((name) => [name, { type: "string" as const }]),
      ...flags.map((name) => [name, { type: "boolean" as const, default: false }]),
    ]),
  });
  const options: Record<string, number | boolean> = {};
  for (const name of intNames) {
    options[name] = positiveInt(name, values[name] as string | undefined, ints[name]);
  }
  for (const name of flags) options[name] = values[name] as boolean;
  return options as Record<I, number> & Record<F, boolean>;
}

/**
 * `parse(args)`, or on a bad argument its message and `usage: …` on stderr and exit status 2: bad
 * arguments are the only failure that changes a benchmark's exit status; figures never do.
 */
export function optionsOrExit<T>(args: string[], parse: (args: string[]) => T, usage: string): T {
  try {
    return parse(args);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.error(`usage: ${usage}`);
    Deno.exit(2);
  }
}
