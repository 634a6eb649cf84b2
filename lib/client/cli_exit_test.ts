import assert from "node:assert/strict";
import { Command } from "commander";
import { withExitCode } from "./cli_exit.ts";

function program(action: (name: string) => Promise<number | void> | number | void) {
  const codes: number[] = [];
  const command = new Command("get-env")
    .exitOverride()
    .argument("<name>")
    .action(withExitCode(action, (code) => codes.push(code)));
  return { command, codes };
}

Deno.test("withExitCode() records a non-zero code the action returns, sync or async", async () => {
  const sync = program((name) => name === "bootcmd" ? 0 : 1);
  await sync.command.parseAsync(["bootargs"], { from: "user" });
  assert.deepEqual(sync.codes, [1]);
  const async = program((name) => Promise.resolve(name.length));
  await async.command.parseAsync(["abc"], { from: "user" });
  assert.deepEqual(async.codes, [3]);
});

Deno.test("withExitCode() records nothing for 0 or no result", async () => {
  const zero = program(() => 0);
  await zero.command.parseAsync(["x"], { from: "user" });
  const none = program(() => {});
  await none.command.parseAsync(["x"], { from: "user" });
  assert.deepEqual([...zero.codes, ...none.codes], []);
});

Deno.test("withExitCode() lets the action's error through and records no code", async () => {
  const failing = program(() => Promise.reject(new Error("U-Boot did not answer")));
  await assert.rejects(failing.command.parseAsync(["x"], { from: "user" }), /did not answer/);
  assert.deepEqual(failing.codes, []);
});

Deno.test("withExitCode() sets Deno.exitCode by default, which j exits with", async () => {
  const before = Deno.exitCode;
  try {
    const command = new Command("run").action(withExitCode(() => 7));
    await command.parseAsync([], { from: "user" });
    assert.equal(Deno.exitCode, 7);
  } finally {
    Deno.exitCode = before;
  }
});
