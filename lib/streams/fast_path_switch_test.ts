/**
 * `JMP_DISABLE_FAST_PATH` is read from the environment of the program; each case runs in its own
 * process, since setting the variable here would reach the test modules running beside this one.
 */
import assert from "node:assert/strict";

const PROTOCOL = new URL("./fast_path_protocol.ts", import.meta.url).href;

async function disabledWith(value: string | undefined, override = ""): Promise<string> {
  const env: Record<string, string> = {};
  if (value !== undefined) env.JMP_DISABLE_FAST_PATH = value;
  const script = `import { fastPathDisabled, setFastPathDisabled } from "${PROTOCOL}";
${override}
console.log(fastPathDisabled());`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    cwd: new URL("../..", import.meta.url),
    env,
    clearEnv: false,
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `deno eval failed: ${stderr}`);
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("JMP_DISABLE_FAST_PATH switches the fast path off unless empty or 0", async () => {
  const cases: [string | undefined, string][] = [
    ["1", "true"],
    ["yes", "true"],
    ["0", "false"],
    ["", "false"],
    [undefined, "false"],
  ];
  for (const [value, expected] of cases) {
    assert.equal(await disabledWith(value), expected, `JMP_DISABLE_FAST_PATH=${value}`);
  }
});

Deno.test("setFastPathDisabled overrides the variable in its own program", async () => {
  assert.equal(await disabledWith("1", "setFastPathDisabled(false);"), "false");
  assert.equal(await disabledWith(undefined, "setFastPathDisabled(true);"), "true");
  assert.equal(
    await disabledWith("1", "setFastPathDisabled(false); setFastPathDisabled(undefined);"),
    "true",
  );
});
