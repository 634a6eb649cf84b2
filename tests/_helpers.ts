/**
 * Helpers for the end-to-end tests: run `jmp` (and other programs) as subprocesses with a clean,
 * private environment, and collect what they print.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { deadlineSignal, waitingFor } from "@jumpstarter/lib/testing";

/** The workspace root, `/work/main/` when checked out there. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));
export const DENO_CONFIG: string = fileURLToPath(new URL("../deno.json", import.meta.url));
export const JMP_MAIN: string = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
export const VIRTUAL_LAB: string = fileURLToPath(
  new URL("../examples/virtual-lab.yaml", import.meta.url),
);

/** Variables a session exports; removed from what subprocesses inherit unless set again. */
const SESSION_VARIABLES = [
  "JUMPSTARTER_HOST",
  "JMP_DRIVERS_ALLOW",
  "JMP_DRIVERS_UNSAFE",
  "JMP_GRPC_INSECURE",
  "JMP_GRPC_PASSPHRASE",
  "JMP_DEBUG",
];

/** Default time a subprocess may take before it is killed and the test fails. */
export const DEFAULT_TIMEOUT_MS = 20_000;

/** Options of {@linkcode run} and {@linkcode jmp}. */
export interface RunOptions {
  /** Added to (or replacing) the inherited environment, minus session variables. */
  env?: Record<string, string>;
  /** Inherited variables to drop as well. */
  unset?: string[];
  cwd?: string;
  /** Kill the process after this long (it then counts as hung). */
  timeoutMs?: number;
}

/** What a finished subprocess did. */
export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  /** The process did not exit by itself within the timeout and was killed. */
  timedOut: boolean;
}

/** The environment for a subprocess: inherited, without session variables, plus `options.env`. */
export function childEnv(options: RunOptions = {}): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of [...SESSION_VARIABLES, ...(options.unset ?? [])]) delete env[name];
  return { ...env, NO_COLOR: "1", ...options.env };
}

/** The argv (after the deno executable) that runs `jmp ARGS...`. */
export function jmpArgs(args: string[]): string[] {
  return ["run", "-A", "--quiet", "--config", DENO_CONFIG, JMP_MAIN, ...args];
}

/** How long output may keep flowing after a process ended (from a child it left behind). */
const DRAIN_MS = 2_000;

/** Collects a byte stream as text; `stop()` cancels the read and keeps what came. */
function collect(
  stream: ReadableStream<Uint8Array>,
  onText?: (text: string) => void,
): { text(): string; done: Promise<void>; stop(): void } {
  let text = "";
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
        onText?.(text);
      }
    } catch { /* cancelled */ }
  })();
  return { text: () => text, done, stop: () => void reader.cancel().catch(() => {}) };
}

/**
 * Kills `child` and every process it started (it leads its own process group, see
 * {@linkcode spawnGroup}), so that nothing it left behind keeps our pipes open.
 */
function killGroup(child: Deno.ChildProcess, signal: Deno.Signal = "SIGKILL"): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch { /* the group is gone */ }
}

/** Spawns `program` as the leader of a new process group, with piped output and no stdin. */
function spawnGroup(program: string, args: string[], options: RunOptions): Deno.ChildProcess {
  return new Deno.Command(program, {
    args,
    cwd: options.cwd ?? ROOT,
    env: childEnv(options),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
}

/**
 * Runs `program args...` to completion with piped output and no stdin. A process that does not
 * exit within the timeout (or the test's deadline) is killed with everything it started; output
 * a left-behind child keeps writing is cut off shortly after the process ends.
 */
export async function run(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const child = spawnGroup(program, args, options);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  let timedOut = false;
  const kill = () => {
    timedOut = true;
    killGroup(child);
  };
  const timer = setTimeout(kill, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = deadlineSignal();
  signal.addEventListener("abort", kill);
  const what = `${program} ${args.join(" ")} to exit`;
  const saw = () => `stdout: ${stdout.text()}\nstderr: ${stderr.text()}`;
  try {
    const status = await waitingFor(what, child.status, saw);
    killGroup(child);
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([stdout.done, stderr.done]),
      new Promise((resolve) => drainTimer = setTimeout(resolve, DRAIN_MS)),
    ]);
    clearTimeout(drainTimer);
    stdout.stop();
    stderr.stop();
    return {
      code: status.code,
      signal: status.signal,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", kill);
  }
}

/** Runs `jmp ARGS...` through `deno run` of this workspace. */
export function jmp(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(Deno.execPath(), jmpArgs(args), options);
}

/** Runs `jmp shell --exporter-config examples/virtual-lab.yaml -- COMMAND...`. */
export function jmpShell(command: string[], options: RunOptions = {}): Promise<RunResult> {
  return jmp(["shell", "--exporter-config", VIRTUAL_LAB, "--", ...command], options);
}

/** Renders a result for assertion messages. */
export function describe(result: RunResult): string {
  const how = result.timedOut
    ? "timed out"
    : result.signal
    ? `died of ${result.signal}`
    : `exited ${result.code}`;
  return `${how}\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`;
}

/** Asserts the process exited by itself with `code`. */
export function assertExit(result: RunResult, code: number): void {
  assert.ok(!result.timedOut, `the process did not exit: ${describe(result)}`);
  assert.equal(result.signal, null, `the process was killed: ${describe(result)}`);
  assert.equal(result.code, code, `expected exit ${code}, ${describe(result)}`);
}

/** Asserts `text` contains `part`, showing the whole result otherwise. */
export function assertOutput(result: RunResult, stream: "stdout" | "stderr", part: string): void {
  assert.ok(
    result[stream].includes(part),
    `expected ${stream} to contain ${JSON.stringify(part)}; ${describe(result)}`,
  );
}

/** Asserts stderr shows no JavaScript stack trace. */
export function assertNoStackTrace(result: RunResult): void {
  assert.doesNotMatch(
    result.stderr,
    /^\s+at .+[:(]/m,
    `expected no stack trace; ${describe(result)}`,
  );
}

/** Whether `path` exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The entries of a directory, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/**
 * A temporary directory removed (with its contents) when disposed.
 *
 * @example
 * ```ts ignore
 * await using tmp = await tempDir();
 * await Deno.writeTextFile(`${tmp.path}/lab.yaml`, "...");
 * ```
 */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "jmp-e2e-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/**
 * A private `XDG_RUNTIME_DIR` for the subprocesses of one check, where local exporters create
 * their socket directories; `assertEmpty()` checks that nothing was left behind.
 */
export async function runtimeDir(): Promise<
  AsyncDisposable & { path: string; env: { XDG_RUNTIME_DIR: string }; assertEmpty(): Promise<void> }
> {
  const dir = await tempDir();
  return {
    path: dir.path,
    env: { XDG_RUNTIME_DIR: dir.path },
    assertEmpty: async () =>
      assert.deepEqual(await listDir(dir.path), [], `left behind in ${dir.path}`),
    [Symbol.asyncDispose]: dir[Symbol.asyncDispose],
  };
}

/**
 * Runs independent checks concurrently (at most `limit` at a time) and reports each as a step of
 * `t`, in the order given. A failing check fails its own step only.
 */
export async function concurrently(
  t: Deno.TestContext,
  checks: Record<string, () => Promise<void>>,
  limit = 4,
): Promise<void> {
  const entries = Object.entries(checks);
  const queue = entries.map(([, check]) => check);
  const results: Promise<void>[] = [];
  let running = 0;
  const waiting: (() => void)[] = [];
  const acquire = async () => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
  };
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  for (const check of queue) {
    const result = acquire().then(async () => {
      try {
        await check();
      } finally {
        release();
      }
    });
    result.catch(() => {}); // reported by its step below
    results.push(result);
  }
  for (const [index, [name]] of entries.entries()) {
    await t.step(name, () => results[index]!);
  }
}

/** A `jmp` process running in the background, e.g. `jmp run`. */
export interface BackgroundJmp extends AsyncDisposable {
  readonly process: Deno.ChildProcess;
  /** Resolves with the first line printed on stdout (rejects if stdout ends before one). */
  readonly firstLine: Promise<string>;
  /** What it printed so far. */
  printed(): { stdout: string; stderr: string };
  /** Waits for the process to end by itself (killing it after the timeout). */
  wait(timeoutMs?: number): Promise<RunResult>;
  /** Sends `signal`, then {@linkcode BackgroundJmp.wait}s. */
  stop(signal: Deno.Signal, timeoutMs?: number): Promise<RunResult>;
}

/** Starts `jmp ARGS...` with piped output; disposing it kills the process if still running. */
export function spawnJmp(args: string[], options: RunOptions = {}): BackgroundJmp {
  return spawnProgram(Deno.execPath(), jmpArgs(args), options);
}

/** Starts `program ARGS...` in the background, as {@linkcode spawnJmp} does for `jmp`. */
export function spawnProgram(
  program: string,
  args: string[],
  options: RunOptions = {},
): BackgroundJmp {
  const process = spawnGroup(program, args, options);
  const command = `${program} ${args.join(" ")}`;
  const {
    promise: firstLine,
    resolve: resolveLine,
    reject: rejectLine,
  } = Promise.withResolvers<string>();
  firstLine.catch(() => {}); // for callers that never ask
  const stdout = collect(process.stdout, (text) => {
    const newline = text.indexOf("\n");
    if (newline >= 0) resolveLine(text.slice(0, newline));
  });
  const stderr = collect(process.stderr);
  stdout.done.then(() => rejectLine(new Error(`${command} printed no line on stdout`)));
  const saw = () => `stdout: ${stdout.text()}\nstderr: ${stderr.text()}`;
  let finished: Promise<RunResult> | undefined;
  let timedOut = false;
  const killAll = () => {
    timedOut = true;
    killGroup(process);
  };
  const signal = deadlineSignal();
  signal.addEventListener("abort", killAll);
  const finish = () =>
    finished ??= (async () => {
      const status = await process.status;
      signal.removeEventListener("abort", killAll);
      killGroup(process);
      let drainTimer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([stdout.done, stderr.done]),
        new Promise((resolve) => drainTimer = setTimeout(resolve, DRAIN_MS)),
      ]);
      clearTimeout(drainTimer);
      stdout.stop();
      stderr.stop();
      return {
        code: status.code,
        signal: status.signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
      };
    })();
  const kill = (signal: Deno.Signal) => {
    try {
      process.kill(signal);
    } catch { /* already gone */ }
  };
  const wait = async (timeoutMs = DEFAULT_TIMEOUT_MS) => {
    const timer = setTimeout(killAll, timeoutMs);
    try {
      return await waitingFor(`${command} to exit`, finish(), saw);
    } finally {
      clearTimeout(timer);
    }
  };
  const stop = (signal: Deno.Signal, timeoutMs?: number) => {
    kill(signal);
    return wait(timeoutMs);
  };
  return {
    process,
    get firstLine() {
      return waitingFor(`a first line on stdout from ${command}`, firstLine, saw);
    },
    printed: () => ({ stdout: stdout.text(), stderr: stderr.text() }),
    wait,
    stop,
    [Symbol.asyncDispose]: async () => {
      killGroup(process);
      await finish();
    },
  };
}

/** Resolves with `promise`, or rejects after `ms` with `what` in the message. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      waitingFor(what, promise),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
