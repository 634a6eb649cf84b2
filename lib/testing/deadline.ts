/**
 * Test deadlines: every `Deno.test` gets one, and a test that passes it fails saying what it was
 * waiting for and what it saw, instead of hanging the suite.
 *
 * Waits register themselves with {@linkcode waitingFor} (`eventually()` and the end-to-end
 * helpers do); when the deadline passes, the test's {@linkcode deadlineSignal} aborts (helpers
 * kill their processes on it, so the test unwinds and cleans up) and the test fails with the list
 * of waits still pending. `installTestDeadlines()` (run by `deadline_preload.ts`, which
 * `deno task test` preloads) applies {@linkcode DEFAULT_TEST_DEADLINE_MS} to every test;
 * {@linkcode fileDeadline} changes it for one file, {@linkcode withDeadline} for one test.
 *
 * @module
 */

/** The deadline of a test that sets none. */
export const DEFAULT_TEST_DEADLINE_MS = 120_000;

/** How long a test that passed its deadline gets to unwind (run its `finally`s) once aborted. */
const UNWIND_MS = 5_000;

interface Wait {
  what: string;
  since: number;
  saw: (() => string) | undefined;
}

interface RunningTest {
  waits: Set<Wait>;
  controller: AbortController;
}

let running: RunningTest | undefined;
const fileDeadlines = new Map<string, number>();
const DEADLINE = Symbol("deadline");

/** A `Deno.test` body. */
export type TestFn = (t: Deno.TestContext) => void | Promise<void>;
type DeadlineFn = TestFn & { [DEADLINE]?: number };

/** The test's deadline has passed; the message lists what it was still waiting for. */
export class DeadlineError extends Error {
  /** `message` names the test, its deadline and what it was waiting for. */
  constructor(message: string) {
    super(message);
    this.name = "DeadlineError";
  }
}

/**
 * Marks `promise` as something the running test waits for: if the test's deadline passes first,
 * the failure names `what` and, when given, what `saw()` returns (output so far, last value).
 */
export function waitingFor<T>(what: string, promise: Promise<T>, saw?: () => string): Promise<T> {
  const test = running;
  if (!test) return promise;
  const wait: Wait = { what, since: performance.now(), saw };
  test.waits.add(wait);
  return promise.finally(() => test.waits.delete(wait));
}

/** Aborted when the running test passes its deadline (never, outside a test with one). */
export function deadlineSignal(): AbortSignal {
  return running?.controller.signal ?? NEVER.signal;
}

const NEVER = new AbortController();

function describeWaits(test: RunningTest, now: number): string {
  if (test.waits.size === 0) return "no registered wait was pending";
  const lines = [...test.waits].map((wait) => {
    const age = ((now - wait.since) / 1000).toFixed(1);
    let saw = "";
    if (wait.saw) {
      try {
        saw = `\n    saw: ${wait.saw().trimEnd().replaceAll("\n", "\n         ")}`;
      } catch (error) {
        saw = `\n    saw: (cannot tell: ${error})`;
      }
    }
    return `  - ${wait.what} (for ${age} s)${saw}`;
  });
  return `still waiting for:\n${lines.join("\n")}`;
}

/** `t` whose steps count as waits, so that a deadline failure names the step that was running. */
function withStepWaits(t: Deno.TestContext): Deno.TestContext {
  if (stepWaiting.has(t)) return t;
  const step = t.step.bind(t) as (...args: unknown[]) => Promise<boolean>;
  const stepWithWait = (...args: unknown[]) => {
    const [first] = args;
    const name = typeof first === "string"
      ? first
      : typeof first === "function"
      ? first.name
      : (first as { name?: string }).name;
    return waitingFor(`step "${name}"`, step(...args));
  };
  const wrapped = Object.create(t, { step: { value: stepWithWait } });
  stepWaiting.add(wrapped);
  return wrapped;
}

const stepWaiting = new WeakSet<Deno.TestContext>();

/**
 * Runs the test body `fn` with a deadline of `ms` (what every registered test does); `label`
 * names the test in the failure. See the module documentation.
 *
 * @throws {DeadlineError} when `fn` has not finished within `ms`.
 */
export async function runWithDeadline(
  label: string,
  ms: number,
  fn: TestFn,
  t: Deno.TestContext,
): Promise<void> {
  const test: RunningTest = { waits: new Set(), controller: new AbortController() };
  const outer = running;
  running = test;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = performance.now();
  const body = (async () => await fn(withStepWaits(t)))();
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), ms);
  });
  try {
    const first = await Promise.race([body, expired]);
    if (first !== "expired") {
      // a body that never yields cannot be stopped, but it must not pass for a timely one
      const took = performance.now() - started;
      if (took <= ms) return;
      throw new DeadlineError(
        `${label} took ${(took / 1000).toFixed(1)} s, over its deadline of ${ms / 1000} s`,
      );
    }
    const report = describeWaits(test, performance.now());
    test.controller.abort(new DeadlineError(`deadline of ${ms} ms passed`));
    let unwindTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      body.catch(() => {}),
      new Promise((resolve) => unwindTimer = setTimeout(resolve, UNWIND_MS)),
    ]);
    clearTimeout(unwindTimer);
    throw new DeadlineError(`${label} passed its deadline of ${ms / 1000} s; ${report}`);
  } finally {
    clearTimeout(timer);
    running = outer;
  }
}

/**
 * `fn` with its own deadline, for a test that needs longer (or shorter) than its file's:
 * `Deno.test("flash 1 GiB", withDeadline(300_000, async () => { ... }))`.
 */
export function withDeadline(ms: number, fn: TestFn): TestFn {
  const marked: DeadlineFn = (t) => fn(t);
  marked[DEADLINE] = ms;
  return marked;
}

/**
 * Sets the deadline of the tests `fileUrl` (a test module's `import.meta.url`) registers from
 * now on: call it at the top of the file.
 */
export function fileDeadline(fileUrl: string, ms: number): void {
  fileDeadlines.set(fileUrl, ms);
}

/** Frames of the helpers that register tests on a test module's behalf. */
const HELPER_FRAME = /\/lib\/testing\/(deadline|jumpstarter_test)\.ts:/;

/** Where a test is registered: the first stack frame outside these helpers. */
function callerLocation(): { file: string; at: string } | undefined {
  const stack = new Error().stack ?? "";
  for (const match of stack.matchAll(/(file:\/\/[^\s)]+?):\d+:\d+/g)) {
    if (!HELPER_FRAME.test(match[0])) return { file: match[1]!, at: match[0] };
  }
  return undefined;
}

type TestArgs =
  | [Deno.TestDefinition]
  | [string, TestFn]
  | [string, Omit<Deno.TestDefinition, "name" | "fn">, TestFn]
  | [TestFn]
  | [Omit<Deno.TestDefinition, "fn">, TestFn];

/** The arguments of any `Deno.test` overload as one definition. */
function normalize(args: TestArgs): Deno.TestDefinition {
  const [first, second, third] = args as unknown[];
  if (typeof first === "string") {
    if (typeof second === "function") return { name: first, fn: second as TestFn };
    return { ...(second as object), name: first, fn: third as TestFn };
  }
  if (typeof first === "function") return { name: first.name, fn: first as TestFn };
  const definition = first as Deno.TestDefinition;
  if (typeof second === "function") {
    return { ...definition, name: definition.name ?? second.name, fn: second as TestFn };
  }
  return definition;
}

/** Whether `Deno.test` already applies deadlines. */
let installed = false;

/**
 * The variable naming a file to which every test run under a deadline appends its
 * {@linkcode TestTiming} as a JSON line (set by `bench/slowest_tests.ts`).
 */
export const TIMINGS_ENV = "JMP_TEST_TIMINGS";

/** How long one test took, against its deadline. */
export interface TestTiming {
  /** The test module's URL. */
  file: string;
  name: string;
  ms: number;
  deadlineMs: number;
  outcome: "ok" | "failed" | "deadline";
}

function timingsFile(): string | undefined {
  try {
    return Deno.env.get(TIMINGS_ENV) || undefined;
  } catch {
    return undefined; // no env permission: no timings
  }
}

/**
 * Makes every test registered from now on run under a deadline: its file's
 * ({@linkcode fileDeadline}), its own ({@linkcode withDeadline}) or `defaultMs`.
 */
export function installTestDeadlines(defaultMs: number = DEFAULT_TEST_DEADLINE_MS): void {
  if (installed) return;
  installed = true;
  const register = Deno.test;
  const timings = timingsFile();
  const withDeadlines = (args: TestArgs, extra: Partial<Deno.TestDefinition>) => {
    const definition = { ...normalize(args), ...extra };
    const fn = definition.fn as DeadlineFn;
    const location = callerLocation();
    const ms = fn[DEADLINE] ?? (location && fileDeadlines.get(location.file)) ?? defaultMs;
    // the runner reports the test at this file's line, so the message says where it really is
    const label = `"${definition.name}"${location ? ` (${location.at})` : ""}`;
    if (timings === undefined) {
      register({ ...definition, fn: (t) => runWithDeadline(label, ms, fn, t) });
      return;
    }
    const timing = { file: location?.file ?? "", name: definition.name, deadlineMs: ms };
    register({
      ...definition,
      fn: async (t) => {
        const started = performance.now();
        let outcome: TestTiming["outcome"] = "failed";
        try {
          await runWithDeadline(label, ms, fn, t);
          outcome = "ok";
        } catch (error) {
          if (error instanceof DeadlineError) outcome = "deadline";
          throw error;
        } finally {
          const record: TestTiming = { ...timing, ms: performance.now() - started, outcome };
          await Deno.writeTextFile(timings, `${JSON.stringify(record)}\n`, { append: true });
        }
      },
    });
  };
  const test = (...args: TestArgs) => withDeadlines(args, {});
  test.ignore = (...args: TestArgs) => withDeadlines(args, { ignore: true });
  test.only = (...args: TestArgs) => withDeadlines(args, { only: true });
  Object.defineProperty(Deno, "test", { value: test, configurable: true, writable: true });
}
