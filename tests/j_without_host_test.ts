/**
 * `j` outside a session: no `JUMPSTARTER_HOST`, or one that points nowhere. Either way a one-line
 * `Error: ...` and exit 1, never a stack trace or a hang.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  concurrently,
  describe,
  jmp,
  tempDir,
} from "./_helpers.ts";

Deno.test("jmp j without a usable JUMPSTARTER_HOST", async (t) => {
  await using tmp = await tempDir();
  const stale = `${tmp.path}/socket`;
  await Deno.writeTextFile(stale, ""); // a plain file where a socket should be
  await concurrently(t, {
    "JUMPSTARTER_HOST unset: exit 1, error names JUMPSTARTER_HOST": async () => {
      // the helpers never pass on the caller's JUMPSTARTER_HOST
      const result = await jmp(["j", "power", "on"]);
      assertExit(result, 1);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^Error: JUMPSTARTER_HOST is not set: .+\n$/, describe(result));
    },
    "JUMPSTARTER_HOST empty: same as unset": async () => {
      const result = await jmp(["j", "power", "on"], { env: { JUMPSTARTER_HOST: "" } });
      assertExit(result, 1);
      assertOutput(result, "stderr", "Error: JUMPSTARTER_HOST is not set");
    },
    "j --help without JUMPSTARTER_HOST also explains why": async () => {
      const result = await jmp(["j", "--help"]);
      assertExit(result, 1);
      assertOutput(result, "stderr", "JUMPSTARTER_HOST");
      assertNoStackTrace(result);
    },
    "JUMPSTARTER_HOST=/nonexistent/socket: exit 1, clear error": async () => {
      const result = await jmp(["j", "power", "on"], {
        env: { JUMPSTARTER_HOST: "/nonexistent/socket", JMP_DRIVERS_ALLOW: "UNSAFE" },
        timeoutMs: 15_000,
      });
      assertExit(result, 1);
      assert.equal(result.stdout, "");
      assert.match(
        result.stderr,
        /^Error: Cannot reach the exporter at "\/nonexistent\/socket": .*ENOENT/,
        describe(result),
      );
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, describe(result));
      assertNoStackTrace(result);
    },
    "JUMPSTARTER_HOST naming a file that is no socket: exit 1, clear error": async () => {
      const result = await jmp(["j", "power", "on"], {
        env: { JUMPSTARTER_HOST: stale, JMP_DRIVERS_ALLOW: "UNSAFE" },
        timeoutMs: 15_000,
      });
      assertExit(result, 1);
      assert.match(result.stderr, /^Error: Cannot reach the exporter at /, describe(result));
      assertNoStackTrace(result);
    },
  });
});
