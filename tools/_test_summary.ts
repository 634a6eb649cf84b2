/**
 * Counting a suite run file by file: each `deno test` run's closing line
 * (`ok | 3 passed (2 steps) | 0 failed | 1 ignored (1s)`), added up into the same line for the
 * whole suite.
 *
 * @module
 */

/** What one file's run, or the whole suite, counted. */
export interface Counts {
  passed: number;
  steps: number;
  failed: number;
  ignored: number;
}

export const NO_COUNTS: Counts = { passed: 0, steps: 0, failed: 0, ignored: 0 };

// deno test's colours are off when its output is piped; strip them anyway
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const SUMMARY =
  /^(ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \| (\d+) ignored)?/;

/** The counts in a `deno test` run's output, or undefined when it printed no closing line. */
export function parseCounts(output: string): Counts | undefined {
  const lines = output.replace(ANSI, "").split("\n").reverse();
  for (const line of lines) {
    const match = SUMMARY.exec(line.trim());
    if (!match) continue;
    return {
      passed: Number(match[2]),
      steps: Number(match[3] ?? 0),
      failed: Number(match[4]),
      ignored: Number(match[5] ?? 0),
    };
  }
  return undefined;
}

export function addCounts(a: Counts, b: Counts): Counts {
  return {
    passed: a.passed + b.passed,
    steps: a.steps + b.steps,
    failed: a.failed + b.failed,
    ignored: a.ignored + b.ignored,
  };
}

/** The suite's closing line, in `deno test`'s own format (`.ci/run` reads it). */
export function formatCounts(counts: Counts, elapsedMs: number): string {
  const steps = counts.steps ? ` (${counts.steps} steps)` : "";
  const ignored = counts.ignored ? ` | ${counts.ignored} ignored` : "";
  const verdict = counts.failed ? "FAILED" : "ok";
  const minutes = Math.floor(elapsedMs / 60_000);
  const seconds = Math.round((elapsedMs % 60_000) / 1000);
  return `${verdict} | ${counts.passed} passed${steps} | ${counts.failed} failed${ignored} ` +
    `(${minutes ? `${minutes}m` : ""}${seconds}s)`;
}
