import assert from "node:assert/strict";
import { denoTestArgs, findTestFiles } from "./_test_files.ts";
import { formatCounts, parseCounts } from "./_test_summary.ts";
import { runTestFile, runWithCrashRetry } from "./run_tests.ts";

const PLAIN_ARGS = (file: string) => ["test", "-A", "--no-check", file];

async function withFiles(
  files: Record<string, string>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "run-tests-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${name}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseCounts reads deno test's closing line; formatCounts writes it back", () => {
  assert.deepEqual(
    parseCounts("running 3 tests\n...\nok | 3 passed (2 steps) | 0 failed | 1 ignored (1s)\n"),
    { passed: 3, steps: 2, failed: 0, ignored: 1 },
  );
  assert.deepEqual(
    parseCounts(
      "\x1b[0m\x1b[31mFAILED\x1b[0m | 2 passed | 1 failed \x1b[0m(5ms)\n\nerror: Test failed",
    ),
    { passed: 2, steps: 0, failed: 1, ignored: 0 },
  );
  assert.equal(parseCounts("error: Module not found"), undefined);
  const line = formatCounts({ passed: 1145, steps: 140, failed: 2, ignored: 1 }, 781_000);
  assert.equal(line, "FAILED | 1145 passed (140 steps) | 2 failed | 1 ignored (13m1s)");
  assert.deepEqual(parseCounts(line), { passed: 1145, steps: 140, failed: 2, ignored: 1 });
  assert.match(
    formatCounts({ passed: 4, steps: 0, failed: 0, ignored: 0 }, 2_400),
    /^ok \| 4 passed \| 0 failed \(2s\)$/,
  );
});

Deno.test("findTestFiles finds what deno test would, skipping dot, dist and node_modules", async () => {
  await withFiles({
    "a_test.ts": "",
    "b.test.ts": "",
    "sub/test.ts": "",
    "sub/c_test.js": "",
    "sub/helper.ts": "",
    "sub/_testing.ts": "",
    ".hidden/d_test.ts": "",
    "node_modules/e_test.ts": "",
    "dist/f_test.ts": "",
  }, async (dir) => {
    assert.deepEqual(await findTestFiles(dir), [
      "./a_test.ts",
      "./b.test.ts",
      "./sub/c_test.js",
      "./sub/test.ts",
    ]);
  });
});

Deno.test("every suite file runs with the deadline preload", () => {
  const args = denoTestArgs("./x_test.ts");
  assert.deepEqual(args.slice(args.indexOf("--preload"), args.indexOf("--preload") + 2), [
    "--preload",
    "lib/testing/deadline_preload.ts",
  ]);
  assert.equal(args.at(-1), "./x_test.ts");
});

Deno.test("runTestFile counts passes and failures, and a file that never ends is cut off", async () => {
  await withFiles({
    "pass_test.ts":
      `Deno.test("one", () => {}); Deno.test("two", async (t) => { await t.step("s", () => {}); });`,
    "fail_test.ts":
      `Deno.test("bad", () => { throw new Error("boom"); }); Deno.test("good", () => {});`,
    "broken_test.ts": `throw new Error("fails at import");`,
    "hang_test.ts": `await new Promise(() => setInterval(() => {}, 1000));`,
  }, async (dir) => {
    const pass = await runTestFile("./pass_test.ts", { cwd: dir, args: PLAIN_ARGS });
    assert.deepEqual(pass.counts, { passed: 2, steps: 1, failed: 0, ignored: 0 });
    const fail = await runTestFile("./fail_test.ts", { cwd: dir, args: PLAIN_ARGS });
    assert.deepEqual(fail.counts, { passed: 1, steps: 0, failed: 1, ignored: 0 });
    assert.match(fail.output, /boom/);
    const broken = await runTestFile("./broken_test.ts", { cwd: dir, args: PLAIN_ARGS });
    assert.equal(broken.counts.failed, 1, broken.output);
    assert.match(broken.output, /fails at import/);
    const hang = await runTestFile("./hang_test.ts", {
      cwd: dir,
      args: PLAIN_ARGS,
      deadlineMs: 1500,
    });
    assert.equal(hang.counts.failed, 1);
    assert.match(hang.output, /did not finish within .* min; killed/);
  });
});

Deno.test("a Deno runtime crash is named with its signal and the file runs once more", async () => {
  // a real segfault (libc's strlen on address 16) the first time, a marker file remembers it
  const crashOnce = `Deno.test("survives", () => {
  try { Deno.statSync("crashed"); } catch {
    Deno.writeTextFileSync("crashed", "");
    const libc = Deno.dlopen("libc.so.6", { strlen: { parameters: ["pointer"], result: "usize" } });
    libc.symbols.strlen(Deno.UnsafePointer.create(16n));
  }
});`;
  await withFiles({
    "once_test.ts": crashOnce,
    "always_test.ts": `Deno.kill(Deno.pid, "SIGABRT");`,
  }, async (dir) => {
    const run = (file: string) => runTestFile(file, { cwd: dir, args: PLAIN_ARGS });
    const crashes: string[] = [];
    const once = await runWithCrashRetry("./once_test.ts", crashes, run);
    assert.deepEqual(once.counts, { passed: 1, steps: 0, failed: 0, ignored: 0 });
    assert.deepEqual(crashes, [
      "./once_test.ts: the Deno runtime died of SIGSEGV; ran the file again",
    ]);
    const always = await runWithCrashRetry("./always_test.ts", crashes, run);
    assert.equal(always.crash, "SIGABRT");
    assert.equal(always.counts.failed, 1);
    assert.equal(crashes.at(-1), "./always_test.ts: died of SIGABRT again");
  });
});
