/**
 * The example suite `examples/power_suite_test.ts` run the two ways a user would: under
 * `jmp shell -- deno test` (through JUMPSTARTER_HOST) and as a bare `deno test` (served locally).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  assertExit,
  concurrently,
  DENO_CONFIG,
  describe,
  jmpShell,
  run,
  type RunResult,
  runtimeDir,
  tempDir,
} from "./_helpers.ts";

const SUITE = fileURLToPath(new URL("../examples/power_suite_test.ts", import.meta.url));
const TESTS_IN_SUITE = 4;
const TIMEOUT_MS = 60_000; // the first run may type-check the suite

function denoTest(file: string, ...flags: string[]): string[] {
  return [Deno.execPath(), "test", "-A", "--config", DENO_CONFIG, ...flags, file];
}

function sources(result: RunResult): string[] {
  return [...result.stdout.matchAll(/^jumpstarter source: (\S+)$/gm)].map((match) => match[1]!);
}

Deno.test("the example suite runs inside jmp shell and bare", async (t) => {
  await using runtime = await runtimeDir();
  const options = { env: runtime.env, timeoutMs: TIMEOUT_MS };
  await concurrently(t, {
    "jmp shell -- deno test: passes through JUMPSTARTER_HOST": async () => {
      const result = await jmpShell(denoTest(SUITE), options);
      assertExit(result, 0);
      assert.match(result.stdout, new RegExp(`ok \\| ${TESTS_IN_SUITE} passed \\| 0 failed`));
      assert.deepEqual(
        sources(result),
        Array(TESTS_IN_SUITE).fill("JUMPSTARTER_HOST"),
        describe(result),
      );
    },
    "bare deno test: passes with a local exporter": async () => {
      const [program, ...args] = denoTest(SUITE) as [string, ...string[]];
      const result = await run(program, args, options);
      assertExit(result, 0);
      assert.match(result.stdout, new RegExp(`ok \\| ${TESTS_IN_SUITE} passed \\| 0 failed`));
      assert.deepEqual(sources(result), Array(TESTS_IN_SUITE).fill("local"), describe(result));
    },
  }, 2);
  await runtime.assertEmpty();
});

Deno.test("a failing suite inside jmp shell fails jmp shell", async () => {
  await using tmp = await tempDir();
  await using runtime = await runtimeDir();
  const suite = `${tmp.path}/failing_test.ts`;
  await Deno.writeTextFile(
    suite,
    `import assert from "node:assert/strict";
import { jumpstarterTest } from "@jumpstarter/lib/testing";
import { PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as power } from "@jumpstarter/driver-power/package";

jumpstarterTest("expects a reading the mock never gives", async (_t, root) => {
  const voltages = [];
  for await (const reading of root.child("power", PowerClient).read()) voltages.push(reading.voltage);
  assert.deepEqual(voltages, [0, 12]);
}, { packages: [power] });
`,
  );
  // --no-check: a fresh file would be type-checked on every run, and only its outcome matters
  const result = await jmpShell(denoTest(suite, "--no-check"), {
    env: runtime.env,
    timeoutMs: TIMEOUT_MS,
  });
  assertExit(result, 1);
  assert.match(result.stdout, /FAILED \| 0 passed \| 1 failed/, describe(result));
  await runtime.assertEmpty();
});
