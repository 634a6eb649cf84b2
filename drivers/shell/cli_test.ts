import assert from "node:assert/strict";
import { Command, Help } from "commander";
import { serve } from "@jumpstarter/lib/testing";
import { InvalidArgumentError, MethodNotFoundError } from "@jumpstarter/lib/wire";
import { Shell } from "./driver.ts";
import { ShellClient } from "./client.ts";
import { exitStatus, shellCli } from "./cli.ts";

/**
 * A `j`-like program around the shell group that records the exit code a method's command sets
 * (0 when it sets none), as `j` exits with it.
 */
function program(client: ShellClient) {
  const out: string[] = [];
  const err: string[] = [];
  const codes: number[] = [];
  const group = shellCli(client, "sh", {}, {
    stdout: (text) => Promise.resolve(void out.push(text)),
    stderr: (text) => Promise.resolve(void err.push(text)),
    setExitCode: (code) => codes.push(code),
  });
  const j = new Command("j").addCommand(group);
  const visit = (command: Command) => {
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    command.commands.forEach(visit);
  };
  visit(j);
  const run = async (...args: string[]) => {
    out.length = 0;
    err.length = 0;
    codes.length = 0;
    await j.parseAsync(["sh", ...args], { from: "user" });
    return { code: codes.at(-1) ?? 0, stdout: out.join(""), stderr: err.join("") };
  };
  return { run, group };
}

function served() {
  return serve(
    new Shell({
      methods: {
        greet: `echo "hello $NAME"; printf '[%s]' "$@"; echo`,
        fail: "echo bad >&2; exit 3",
        "my_method": "echo underscore",
        killed: "kill -KILL $$",
      },
      shell: ["sh", "-c"],
    }),
    ShellClient,
  );
}

Deno.test("shellCli() prints output and sets the method's exit code", async () => {
  await using s = await served();
  const { run } = program(s.client);
  assert.deepEqual(await run("greet", "-e", "NAME=Ann Lee", "a", "b c"), {
    code: 0,
    stdout: "hello Ann Lee\n[a][b c]\n",
    stderr: "",
  });
  assert.deepEqual(await run("fail"), { code: 3, stdout: "", stderr: "bad\n" });
  assert.equal((await run("killed")).code, 137);
  assert.equal(exitStatus(-15), 143);
});

Deno.test("shellCli() hands everything after the first argument to the script", async () => {
  await using s = await served();
  const { run } = program(s.client);
  const result = await run(
    "greet",
    "--env",
    "NAME=x",
    "-e",
    "NAME=y",
    "first",
    "-e",
    "A=1",
    "--help",
  );
  assert.equal(result.stdout, "hello y\n[first][-e][A=1][--help]\n");
  assert.equal((await run("greet", "--", "--x")).stdout, "hello \n[--x]\n");
});

Deno.test("shellCli() reaches methods by their real name when j renames commands", async () => {
  await using s = await served();
  const { run, group } = program(s.client);
  assert.deepEqual(
    new Help().visibleCommands(group).map((c) => c.name()).filter((n) => n !== "help").sort(),
    ["fail", "greet", "killed", "my_method"],
  );
  // j turns snake_case commands into kebab-case; both spellings keep working
  group.commands.find((c) => c.name() === "my_method")!.name("my-method");
  assert.equal((await run("my-method")).stdout, "underscore\n");
  assert.equal((await run("my_method")).stdout, "underscore\n");
});

Deno.test("shellCli() refuses bad env syntax, blocked names and unknown methods", async () => {
  await using s = await served();
  const { run } = program(s.client);
  await assert.rejects(run("greet", "-e", "NOEQUALS"), /Use KEY=VALUE/);
  await assert.rejects(run("greet", "-e", "PATH=/tmp"), InvalidArgumentError);
  await assert.rejects(
    run("nothere", "x"),
    (e: Error) => e instanceof MethodNotFoundError && /method nothere not found/.test(e.message),
  );
});
