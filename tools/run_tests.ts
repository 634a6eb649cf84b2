/**
 * `deno task test [PATH...]`: the suite (or the test files under each PATH), each test file in
 * its own `deno test` process, as many at once as the machine has cores (`DENO_JOBS` sets it).
 * Each file's output is printed whole when it ends; the last line adds them up in `deno test`'s
 * own format.
 *
 * One process per file, not `deno test --parallel`: there, test files share one process, so one
 * file could change another's `Deno.env`, and a crash of the Deno runtime itself (a SIGSEGV on a
 * test worker's thread, 2 in 7 full runs of this suite, not traced to any one test) ended the
 * whole run without naming a file. Now such a crash is one file's: it is reported with its
 * signal and that file is run once more; a second crash fails it.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { denoTestArgs, findTestFiles } from "./_test_files.ts";
import { addCounts, type Counts, formatCounts, NO_COUNTS, parseCounts } from "./_test_summary.ts";
import { loadDurations, saveDurations } from "./_test_durations.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** A file's run is cut off after this, whatever its tests' own deadlines say. */
const FILE_DEADLINE_MS = 30 * 60_000;
const CRASH_SIGNALS = new Set(["SIGSEGV", "SIGABRT", "SIGBUS", "SIGILL"]);

/** How one file's `deno test` ended. */
export interface FileRun {
  file: string;
  output: string;
  counts: Counts;
  /** The signal the Deno runtime died of, when it crashed. */
  crash?: string;
  elapsedMs: number;
}

/** Runs one test file in its own `deno test`, cut off after `deadlineMs`. */
export async function runTestFile(
  file: string,
  options: { cwd: string; deadlineMs?: number; args?: (file: string) => string[] },
): Promise<FileRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: (options.args ?? denoTestArgs)(file),
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const chunks: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) chunks.push(text);
  };
  const deadlineMs = options.deadlineMs ?? FILE_DEADLINE_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, deadlineMs);
  const [status] = await Promise.all([child.status, collect(child.stdout), collect(child.stderr)])
    .finally(() => clearTimeout(timer));
  let output = chunks.join("");
  const crash = status.signal && CRASH_SIGNALS.has(status.signal) ? status.signal : undefined;
  let counts = parseCounts(output) ?? NO_COUNTS;
  if (!status.success && counts.failed === 0) {
    counts = { ...counts, failed: 1 };
    output += timedOut
      ? `\n${file}: did not finish within ${deadlineMs / 60_000} min; killed\n`
      : `\n${file}: deno test ended with ${status.signal ?? `exit code ${status.code}`}\n`;
  }
  return {
    file,
    output,
    counts,
    ...(crash ? { crash } : {}),
    elapsedMs: performance.now() - started,
  };
}

/**
 * Runs `file`, once more if the Deno runtime crashed (printing the crashed run); each crash is
 * added to `crashes`. A second crash is a failure like any other.
 */
export async function runWithCrashRetry(
  file: string,
  crashes: string[],
  run: (file: string) => Promise<FileRun> = (file) => runTestFile(file, { cwd: ROOT }),
): Promise<FileRun> {
  const first = await run(file);
  if (!first.crash) return first;
  crashes.push(`${file}: the Deno runtime died of ${first.crash}; ran the file again`);
  console.log(first.output);
  console.log(`${file}: the Deno runtime died of ${first.crash}; running the file again\n`);
  const second = await run(file);
  if (second.crash) crashes.push(`${file}: died of ${second.crash} again`);
  return second;
}

async function typeCheck(files: string[]): Promise<boolean> {
  console.log(`Check ${files.length} test files`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", ...files],
    cwd: ROOT,
    stdin: "null",
  }).output();
  return result.success;
}

function selected(files: string[], paths: string[]): string[] {
  if (!paths.length) return files;
  const prefixes = paths.map((path) => `./${path.replace(/^\.\//, "").replace(/\/$/, "")}`);
  return files.filter((file) =>
    prefixes.some((prefix) => file === prefix || file.startsWith(`${prefix}/`))
  );
}

async function main(paths: string[]): Promise<number> {
  const files = selected(await findTestFiles(ROOT), paths);
  if (!files.length) {
    console.error(`error: no test files under ${paths.join(", ")}`);
    return 1;
  }
  if (!await typeCheck(files)) return 1;
  const durations = await loadDurations();
  // the longest files first, so no long file starts last; files not seen before count as long
  const queue = [...files].sort((a, b) =>
    (durations[b] ?? Infinity) - (durations[a] ?? Infinity) || a.localeCompare(b)
  );
  const jobs = Number(Deno.env.get("DENO_JOBS")) || navigator.hardwareConcurrency || 1;
  console.log(`running ${files.length} test files, ${jobs} at a time`);
  const started = performance.now();
  const runs: FileRun[] = [];
  const crashes: string[] = [];
  const lane = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const run = await runWithCrashRetry(file, crashes);
      console.log(run.output);
      runs.push(run);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, lane));
  await saveDurations(Object.fromEntries(runs.map((run) => [run.file, run.elapsedMs])));
  const total = runs.reduce((sum, run) => addCounts(sum, run.counts), NO_COUNTS);
  const failedFiles = runs.filter((run) => run.counts.failed).map((run) => run.file).sort();
  if (crashes.length) {
    console.log(`Deno runtime crashes:\n${crashes.map((c) => `  ${c}`).join("\n")}`);
  }
  if (failedFiles.length) {
    console.log(`Failed files:\n${failedFiles.map((f) => `  ${f}`).join("\n")}`);
  }
  console.log(formatCounts(total, performance.now() - started));
  return total.failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
