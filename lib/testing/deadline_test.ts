import assert from "node:assert/strict";
import {
  DeadlineError,
  deadlineSignal,
  runWithDeadline,
  TIMINGS_ENV,
  waitingFor,
  withDeadline,
} from "./deadline.ts";
import { eventually } from "./eventually.ts";
import { DEADLINE_PRELOAD, denoTestArgs } from "../../tools/_test_files.ts";

/** A promise that settles only when `signal` aborts (rejecting with its reason). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

Deno.test("a test past its deadline fails naming what it waited for and what it saw", async (t) => {
  let unwound = false;
  const started = performance.now();
  const error = await runWithDeadline('"inner"', 300, async () => {
    try {
      await waitingFor("the board's prompt", untilAborted(deadlineSignal()), () => "U-Boot 2023");
    } finally {
      unwound = true;
    }
  }, t).then(() => undefined, (error: unknown) => error);
  assert.ok(error instanceof DeadlineError, `expected a DeadlineError, got ${error}`);
  assert.match(error.message, /"inner" passed its deadline of 0\.3 s/);
  assert.match(error.message, /still waiting for:\n {2}- the board's prompt \(for 0\.\d s\)/);
  assert.match(error.message, /saw: U-Boot 2023/);
  assert.ok(unwound, "the aborted body ran its finally before the failure was reported");
  assert.ok(performance.now() - started < 5_000, "the abort ended the body at once");
});

Deno.test("a deadline failure names the step that was running", async () => {
  // a stand-in context: a real step failing (as this one must) would fail this test too
  const t = {
    step: async (_name: string, fn: () => unknown) => (await fn(), true),
  } as unknown as Deno.TestContext;
  const error = await runWithDeadline('"stepping"', 300, async (inner) => {
    await inner.step("quick", () => {});
    await inner.step("stuck", () => untilAborted(deadlineSignal()));
  }, t).then(() => undefined, (error: unknown) => error);
  assert.ok(error instanceof DeadlineError, `expected a DeadlineError, got ${error}`);
  assert.match(error.message, /still waiting for:\n {2}- step "stuck" \(for 0\.\d s\)$/);
});

Deno.test("eventually() shows up in a deadline failure with its last probe", async (t) => {
  const error = await runWithDeadline('"polling"', 200, async () => {
    await eventually("a file to appear", () => false, { timeoutMs: 60_000, intervalMs: 10 });
  }, t).then(() => undefined, (error: unknown) => error);
  assert.ok(error instanceof DeadlineError, `expected a DeadlineError, got ${error}`);
  assert.match(error.message, /- a file to appear \(for 0\.\d s\)\n\s+saw: \d+ probes, the last/);
});

Deno.test("a test that never yields fails when it overran its deadline", async (t) => {
  const error = await runWithDeadline('"busy"', 50, () => {
    const until = performance.now() + 120;
    while (performance.now() < until) { /* a synchronous loop no timer can interrupt */ }
  }, t).then(() => undefined, (error: unknown) => error);
  assert.ok(error instanceof DeadlineError, `expected a DeadlineError, got ${error}`);
  assert.match(error.message, /"busy" took 0\.\d s, over its deadline of 0\.05 s/);
});

Deno.test("a test within its deadline passes, with nothing left pending", async (t) => {
  let ran = false;
  await runWithDeadline('"quick"', 5_000, async () => {
    await waitingFor("a settled promise", Promise.resolve());
    ran = true;
  }, t);
  assert.ok(ran);
  assert.equal(deadlineSignal().aborted, false);
});

Deno.test(
  "withDeadline() gives one test its own deadline",
  withDeadline(120_000, () => {
    // registered through the preloaded Deno.test under `deno task test`; nothing to wait for
    assert.ok(!deadlineSignal().aborted);
  }),
);

Deno.test("every test in the suite gets a deadline: deno task test preloads them", async () => {
  const root = new URL("../../", import.meta.url);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  assert.match(config.tasks.test, /tools\/run_tests\.ts/);
  const args = denoTestArgs("./x_test.ts");
  assert.equal(args[args.indexOf("--preload") + 1], "lib/testing/deadline_preload.ts");
  await Deno.stat(new URL(DEADLINE_PRELOAD, root));
  const ci = await Deno.readTextFile(new URL(".ci/run", root));
  assert.match(ci, /deno@[\d.]+ task test/, "CI runs the suite through the task");
});

Deno.test("a hung test in a real deno test run fails and the run goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deadline-" });
  try {
    const helpers = new URL("./mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/hang_test.ts`,
      `import { fileDeadline, waitingFor } from "${helpers}";
fileDeadline(import.meta.url, 500);
Deno.test("hangs on a stream", async () => {
  const stream = new ReadableStream<string>({ start() {} });
  await waitingFor("a chunk from the stream", (async () => { for await (const _ of stream) break; })(),
    () => "no chunk yet");
});
Deno.test("runs after it", () => {});
`,
    );
    const preload = new URL("./deadline_preload.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", "--preload", preload, `${dir}/hang_test.ts`],
      env: { NO_COLOR: "1", [TIMINGS_ENV]: "" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, text);
    assert.match(text, /hangs on a stream \.\.\. FAILED/);
    assert.match(text, /passed its deadline of 0\.5 s; still waiting for:/);
    assert.match(text, /- a chunk from the stream \(for 0\.\d s\)\n\s+saw: no chunk yet/);
    assert.match(text, /runs after it \.\.\. ok/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deadline overrides in test files are for their own file and bounded", async () => {
  const root = new URL("../../", import.meta.url);
  const offenders: string[] = [];
  const walk = async (dir: URL): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(url);
        const where = url.pathname.slice(root.pathname.length);
        for (const match of text.matchAll(/\bfileDeadline\(([^,]+),\s*([\d_]+)/g)) {
          if (match[1]!.trim() !== "import.meta.url") offenders.push(`${where}: ${match[0]}`);
          if (Number(match[2]!.replaceAll("_", "")) > 900_000) {
            offenders.push(`${where}: over 15 min`);
          }
        }
        for (const match of text.matchAll(/\bwithDeadline\(([\d_]+)/g)) {
          if (Number(match[1]!.replaceAll("_", "")) > 900_000) {
            offenders.push(`${where}: over 15 min`);
          }
        }
      }
    }
  };
  await walk(root);
  assert.deepEqual(offenders, []);
});
