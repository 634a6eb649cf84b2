/**
 * Runs the suite (`deno task test`, as CI does) one or more times and lists the slowest tests,
 * each against its deadline, with every run's result and wall-clock duration.
 *
 * ```sh
 * deno run -A bench/slowest_tests.ts                      # one run, the 20 slowest tests
 * deno run -A bench/slowest_tests.ts --runs 5 --top 30    # five runs in a row
 * deno run -A bench/slowest_tests.ts --runs 5 --cpu-hogs 1 # ... with one busy-looping process beside
 * deno run -A bench/slowest_tests.ts -- tests/            # only the tests under tests/
 * deno run -A bench/slowest_tests.ts --from timings.jsonl # list a run recorded earlier
 * ```
 *
 * Durations come from the deadline wrapper every test runs under (`lib/testing/deadline.ts`),
 * which appends one JSON line per test to the file named by `JMP_TEST_TIMINGS`.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { TestTiming, TIMINGS_ENV } from "../lib/testing/deadline.ts";
import { positiveInt } from "./_measure.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** One `deno task test` run. */
interface Run {
  ok: boolean;
  seconds: number;
  /** deno test's closing line, e.g. `ok | 480 passed (120 steps) | 0 failed (5m12s)`. */
  summary: string;
  log: string;
  timings: TestTiming[];
}

async function readTimings(path: string): Promise<TestTiming[]> {
  const text = await Deno.readTextFile(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  });
  return text.split("\n").filter((line) => line.trim() !== "").map((line, index) => {
    try {
      return JSON.parse(line) as TestTiming;
    } catch {
      throw new Error(`${path}:${index + 1}: not a timing record: ${line.slice(0, 80)}`);
    }
  });
}

async function runSuite(index: number, testArgs: string[]): Promise<Run> {
  const dir = await Deno.makeTempDir({ prefix: "slowest-tests-" });
  const timingsPath = `${dir}/timings.jsonl`;
  const log = `${dir}/run${index}.log`;
  const file = await Deno.open(log, { write: true, create: true, truncate: true });
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "test", ...testArgs],
    cwd: ROOT,
    env: { [TIMINGS_ENV]: timingsPath, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // both streams into one log, as a terminal would show them
  const writer = file.writable.getWriter();
  const copy = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeTo(
      new WritableStream({ write: (chunk) => writer.write(chunk) }),
    );
  const [status] = await Promise.all([child.status, copy(child.stdout), copy(child.stderr)]);
  await writer.close();
  const seconds = (performance.now() - started) / 1000;
  const text = await Deno.readTextFile(log);
  const summary = text.split("\n").findLast((line) => /^(ok|FAILED) \| \d+ passed/.test(line)) ??
    `no summary line (exit ${status.code})`;
  return { ok: status.success, seconds, summary, log, timings: await readTimings(timingsPath) };
}

function relative(fileUrl: string): string {
  return fileUrl.startsWith("file://") ? fileURLToPath(fileUrl).replace(ROOT, "") : fileUrl;
}

function printSlowest(timings: TestTiming[], top: number): void {
  const slowest = timings.toSorted((a, b) => b.ms - a.ms).slice(0, top);
  console.log(`\nslowest ${slowest.length} of ${timings.length} tests:`);
  console.log("   seconds  of deadline  test");
  for (const t of slowest) {
    const share = `${Math.round((100 * t.ms) / t.deadlineMs)}% of ${t.deadlineMs / 1000}s`;
    const flag = t.outcome === "ok" ? "" : `  [${t.outcome}]`;
    console.log(
      `${(t.ms / 1000).toFixed(1).padStart(10)}  ${share.padStart(11)}  ` +
        `${relative(t.file)} > ${t.name}${flag}`,
    );
  }
  const close = timings.filter((t) => t.ms > t.deadlineMs / 2);
  if (close.length > 0) {
    console.log(`\n${close.length} test(s) took more than half their deadline:`);
    for (const t of close) console.log(`  ${relative(t.file)} > ${t.name}`);
  }
}

/** Busy-looping processes that compete with the suite for the CPU, as another job on the machine would. */
function startCpuHogs(count: number): Deno.ChildProcess[] {
  if (count > 0) console.log(`running beside ${count} CPU hog(s)`);
  return Array.from(
    { length: count },
    () =>
      new Deno.Command("sh", {
        args: ["-c", "while :; do :; done"],
        stdout: "null",
        stderr: "null",
      })
        .spawn(),
  );
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string" },
      top: { type: "string" },
      from: { type: "string" },
      "cpu-hogs": { type: "string" },
    },
    allowPositionals: true,
  });
  const top = positiveInt("top", values.top, 20);
  if (values.from !== undefined) {
    printSlowest(await readTimings(values.from), top);
    return 0;
  }
  const runs = positiveInt("runs", values.runs, 1);
  const hogs = startCpuHogs(
    values["cpu-hogs"] === undefined ? 0 : positiveInt("cpu-hogs", values["cpu-hogs"], 1),
  );
  const results: Run[] = [];
  try {
    for (let index = 1; index <= runs; index++) {
      const run = await runSuite(index, positionals);
      results.push(run);
      console.log(
        `run ${index}/${runs}: ${run.ok ? "green" : "RED"} in ${run.seconds.toFixed(1)} s: ` +
          `${run.summary}  (log: ${run.log})`,
      );
      for (const t of run.timings.filter((t) => t.outcome !== "ok")) {
        console.log(`  ${t.outcome}: ${relative(t.file)} > ${t.name}`);
      }
    }
  } finally {
    for (const hog of hogs) hog.kill("SIGKILL");
  }
  const green = results.filter((run) => run.ok).length;
  console.log(`\n${green} of ${runs} runs green`);
  printSlowest(results.flatMap((run) => run.timings), top);
  return green === runs ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : error}`);
    Deno.exit(2);
  }
}
