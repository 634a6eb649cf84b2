import assert from "node:assert/strict";
import type { HookInstance } from "@jumpstarter/lib/config";
import type { Severity } from "@jumpstarter/lib/driver";
import { runHook } from "./hooks.ts";

function hook(script: string, extra: Partial<HookInstance> = {}): HookInstance {
  return {
    script,
    timeout: 10,
    onFailure: "warn",
    source: { file: "exporter.yaml", line: 1, column: 1 },
    ...extra,
  };
}

function collect() {
  const lines: [Severity, string][] = [];
  return {
    lines,
    options: {
      host: "/run/jumpstarter/socket",
      leaseName: "lease-1",
      clientName: "alice",
      log: (line: string, severity: Severity) => lines.push([severity, line]),
    },
  };
}

Deno.test("runHook: the lease's environment, stdout as INFO and stderr as WARNING lines", async () => {
  const { lines, options } = collect();
  const result = await runHook(
    hook(
      'echo "$LEASE_NAME $CLIENT_NAME $JUMPSTARTER_HOST $JMP_DRIVERS_ALLOW $EXTRA"; echo oops >&2',
    ),
    { ...options, env: { EXTRA: "more" } },
  );
  assert.deepEqual(result, { ok: true, message: "" });
  assert.deepEqual(lines.sort(), [
    ["INFO", "lease-1 alice /run/jumpstarter/socket UNSAFE more"],
    ["WARNING", "oops"],
  ]);
});

Deno.test("runHook: failures worded as upstream's (exit code, timeout, cannot start)", async () => {
  const { options } = collect();
  assert.deepEqual(await runHook(hook("exit 3"), options), {
    ok: false,
    message: "Hook failed with exit code 3",
  });
  const started = Date.now();
  assert.deepEqual(await runHook(hook("sleep 30", { timeout: 1 }), options), {
    ok: false,
    message: "Hook timed out after 1 seconds",
  });
  assert.ok(Date.now() - started < 10_000, "SIGTERM ended it");
  const missing = await runHook(hook("true", { exec: "/nonexistent/interpreter" }), options);
  assert.equal(missing.ok, false);
  assert.match(missing.message, /^Error executing hook: /);
});

Deno.test("runHook: a process the hook leaves in the background does not hold the lease", async () => {
  const { lines, options } = collect();
  const started = Date.now();
  // waiting for the background sleep would take 30 s: far from what a busy machine adds
  const result = await runHook(hook("sleep 30 & echo started"), options);
  assert.deepEqual(result, { ok: true, message: "" });
  assert.deepEqual(lines, [["INFO", "started"]]);
  assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
});
