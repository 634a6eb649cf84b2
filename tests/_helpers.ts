/**
 * Helpers for the end-to-end tests: assertions on what a subprocess did, temporary and runtime
 * directories, concurrent checks. Running subprocesses is in `_process.ts` and `_background.ts`,
 * re-exported here so a test imports one module.
 */
import assert from "node:assert/strict";
import { waitingFor } from "@jumpstarter/lib/testing";
import type { RunResult } from "./_process.ts";

export {
  childEnv,
  DEFAULT_TIMEOUT_MS,
  DENO_CONFIG,
  jmp,
  JMP_MAIN,
  jmpArgs,
  jmpShell,
  ROOT,
  run,
  type RunOptions,
  type RunResult,
  VIRTUAL_LAB,
} from "./_process.ts";
export { type BackgroundJmp, spawnJmp, spawnProgram } from "./_background.ts";

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
