/**
 * Keeps the public modules' docs complete: `deno doc --lint` on `driver`, `client`, `testing` and
 * `wire` must report nothing (every export documented, explicit types, no private type in a
 * public signature).
 */
import assert from "node:assert/strict";

const MODULES = ["driver/mod.ts", "client/mod.ts", "testing/mod.ts", "wire/mod.ts"];
/** The first errors shown when the lint fails: enough to locate them, short enough to read. */
const SHOWN_ERRORS = 5;
/** It takes about 2 s; a busy two-core machine is slower, but never this slow. */
const LINT_DEADLINE_MS = 90_000;

/** The `error[...]` diagnostics of the output, each with its `-->` location line. */
function diagnostics(text: string): string[] {
  const lines = text.split("\n");
  const found: string[] = [];
  lines.forEach((line, index) => {
    if (!line.startsWith("error[")) return;
    const location = lines.slice(index + 1, index + 4).find((next) => next.includes("-->"));
    found.push(location ? `${line}\n  ${location.trim()}` : line);
  });
  return found;
}

Deno.test("deno doc --lint reports nothing on lib's public modules", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...MODULES],
    cwd: new URL(".", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(LINT_DEADLINE_MS),
  }).output().catch((error) => {
    throw new Error(`deno doc --lint did not finish within ${LINT_DEADLINE_MS} ms`, {
      cause: error,
    });
  });
  const text = new TextDecoder().decode(output.stderr);
  const errors = diagnostics(text);
  assert.equal(
    errors.length,
    0,
    `deno doc --lint ${MODULES.join(" ")} found ${errors.length} error(s); the first:\n` +
      errors.slice(0, SHOWN_ERRORS).join("\n"),
  );
  assert.ok(output.success, `deno doc --lint failed without a lint error:\n${text.slice(-2000)}`);
});
