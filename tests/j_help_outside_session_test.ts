/**
 * `j --help` outside a session has no driver commands to list, so it says what `j` is and how to
 * get an exporter, then fails as upstream's `j` does (exit 1, the missing JUMPSTARTER_HOST named).
 */
import assert from "node:assert/strict";
import { assertExit, assertNoStackTrace, describe, jmp } from "./_helpers.ts";

Deno.test("j --help and bare j outside a session explain j and how to get an exporter", async () => {
  for (const args of [["j", "--help"], ["j", "-h"], ["j"], ["j", "power", "--help"]]) {
    const result = await jmp(args);
    assertExit(result, 1);
    assert.match(result.stdout, /^Usage: j /, describe(result));
    assert.match(result.stdout, /driver CLI/, describe(result));
    assert.match(result.stdout, /jmp shell --exporter-config/, describe(result));
    assert.match(result.stdout, /jmp shell -l /, describe(result));
    assert.match(result.stderr, /^Error: JUMPSTARTER_HOST is not set/, describe(result));
    assertNoStackTrace(result);
  }
});

Deno.test("j with a command outside a session prints only the error, no help", async () => {
  const result = await jmp(["j", "power", "on"]);
  assertExit(result, 1);
  assert.equal(result.stdout, "", describe(result));
  assert.match(result.stderr, /^Error: JUMPSTARTER_HOST is not set/, describe(result));
});
