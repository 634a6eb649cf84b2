import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { InvalidArgumentError, MethodNotFoundError } from "@jumpstarter/lib/wire";
import { Shell } from "./driver.ts";
import { ShellClient, type ShellOutput } from "./client.ts";
import { shellConfigSchema } from "./config.ts";
import { alive, until } from "./_testing/process.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

const METHODS = {
  hello: "echo hello",
  fail: "echo failing >&2; exit 3",
  args: `printf '[%s]\\n' "$0" "$@"; printf '<%s>\\n' "$GREETING"`,
  lines: `i=1; while [ $i -le 3000 ]; do echo "line $i"; i=$((i+1)); done`,
  interleaved:
    "echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2; sleep 0.2; echo err2 >&2",
  live: `echo started; cat "$1"`,
  split: `printf '\\303'; sleep 0.2; printf '\\251\\n'`,
  slow: { command: `echo $$; sleep 30 & echo $!; wait`, timeout: 0.5, description: "sleeps" },
  stubborn: { command: `trap '' TERM; echo $$; sleep 30`, timeout: 0.3 },
  ticking: `echo $$; while :; do echo tick; sleep 0.05; done`,
  suicide: "kill -TERM $$",
  pwd: "pwd",
};

function shell(extra: Record<string, unknown> = {}) {
  return new Shell(
    { methods: METHODS, shell: ["sh", "-c"], ...extra },
    {},
    { killGraceMs: 300 },
  );
}

async function collect(items: AsyncIterable<ShellOutput>): Promise<ShellOutput[]> {
  return await Array.fromAsync(items);
}

function joined(items: ShellOutput[]) {
  return {
    stdout: items.map((i) => i.stdout).join(""),
    stderr: items.map((i) => i.stderr).join(""),
    codes: items.map((i) => i.returncode).filter((c) => c !== null),
  };
}

Deno.test("exit codes 0 and 3 come back on the last item", async () => {
  await using served = await serve(shell(), ShellClient);
  const hello = await collect(served.client.output("hello"));
  assert.deepEqual(hello.at(-1), { stdout: "", stderr: "", returncode: 0 });
  assert.deepEqual(joined(hello), { stdout: "hello\n", stderr: "", codes: [0] });
  const fail = joined(await collect(served.client.output("fail")));
  assert.deepEqual(fail, { stdout: "", stderr: "failing\n", codes: [3] });
  assert.equal(await served.client.run("fail"), 3);
  assert.equal(await served.client.run("hello"), 0);
});

Deno.test("output streams live and in order, within and across stdout and stderr", async () => {
  await using served = await serve(shell(), ShellClient);
  const lines = joined(await collect(served.client.output("lines")));
  const expected = Array.from({ length: 3000 }, (_, i) => `line ${i + 1}\n`).join("");
  assert.equal(lines.stdout, expected);

  const order: string[] = [];
  for await (const item of served.client.output("interleaved")) {
    for (const line of (item.stdout + item.stderr).split("\n")) if (line) order.push(line);
  }
  assert.deepEqual(order, ["out1", "err1", "out2", "err2"]);

  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const items = served.client.output("live", { args: [fifo] });
    // the first line arrives while the script still waits on the fifo
    assert.equal((await items.next()).value?.stdout, "started\n");
    await Deno.writeTextFile(fifo, "finished\n");
    const rest = joined(await collect(items));
    assert.deepEqual(rest, { stdout: "finished\n", stderr: "", codes: [0] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  const split = joined(await collect(served.client.output("split")));
  assert.equal(split.stdout, "\u00e9\n", "a character split across reads is decoded whole");
});

Deno.test("args and env reach the script verbatim, never through the shell parser", async () => {
  await using served = await serve(shell(), ShellClient);
  const dir = await Deno.makeTempDir();
  try {
    const args = ["a b", `it's "quoted"`, `$(touch ${dir}/pwned)`, "*", "", "-e"];
    const greeting = `hi "there"; $(touch ${dir}/pwned2) \`id\`\nsecond line`;
    const result = joined(
      await collect(served.client.output("args", { args, env: { GREETING: greeting } })),
    );
    assert.equal(
      result.stdout,
      ["args", ...args].map((a) => `[${a}]\n`).join("") + `<${greeting}>\n`,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("env names that change what runs are refused; the exporter keeps serving", async () => {
  await using served = await serve(shell(), ShellClient);
  for (
    const name of [
      "PATH",
      "LD_PRELOAD",
      "LD_AUDIT",
      "BASH_ENV",
      "BASH_FUNC_echo%%",
      "1X",
      "A-B",
      "",
    ]
  ) {
    await assert.rejects(
      collect(served.client.output("hello", { env: { [name]: "x" } })),
      InvalidArgumentError,
      name,
    );
  }
  assert.equal(await served.client.run("hello"), 0);
});

Deno.test("a method that runs out of time has its whole process group killed", async () => {
  const driver = shell();
  await using served = await serve(driver, ShellClient);
  const items = await collect(served.client.output("slow"));
  const [leader, background] = joined(items).stdout.trim().split("\n").map(Number);
  const last = items.at(-1)!;
  assert.equal(last.returncode, 199);
  assert.match(last.stderr, /Timeout expired while running slow: timed out after 0\.5 seconds/);
  assert.equal(await alive(leader!), false, "the interpreter is gone");
  await until(async () => !await alive(background!), "the background sleep is gone", 2000);
  assert.equal(await served.client.run("hello"), 0);
});

Deno.test("a method that ignores SIGTERM is killed after the grace period", async () => {
  await using served = await serve(shell(), ShellClient);
  const started = performance.now();
  const items = await collect(served.client.output("stubborn"));
  const pid = Number(joined(items).stdout.trim());
  assert.equal(items.at(-1)?.returncode, 199);
  assert.equal(await alive(pid), false);
  assert.ok(performance.now() - started < 10_000);
});

Deno.test("a client that stops reading stops the script", async () => {
  await using served = await serve(shell(), ShellClient);
  let pid = 0;
  for await (const item of served.client.output("ticking")) {
    pid = Number(item.stdout.split("\n")[0]);
    break;
  }
  assert.ok(pid > 0);
  await until(async () => !await alive(pid), "the script is gone");
});

Deno.test("closing the session kills methods still running", async () => {
  const served = await serve(shell(), ShellClient);
  const items = served.client.output("ticking");
  const pid = Number((await items.next()).value!.stdout.split("\n")[0]);
  assert.equal(await alive(pid), true);
  const draining = collect(items).catch(() => {});
  await served.close();
  assert.equal(await alive(pid), false);
  await draining;
});

Deno.test("a process killed by a signal reports -N, as upstream", async () => {
  await using served = await serve(shell(), ShellClient);
  assert.equal(await served.client.run("suicide"), -15);
});

Deno.test("a method not configured is refused by the client, and INVALID_ARGUMENT on the exporter", async () => {
  await using served = await serve(shell(), ShellClient);
  await assert.rejects(
    collect(served.client.output("nope")),
    (e: Error) => e instanceof MethodNotFoundError && /method nope not found/.test(e.message),
  );
  await assert.rejects(
    Array.fromAsync(served.client.streamingCall("call_method", "nope", {})),
    (e: Error) => e instanceof InvalidArgumentError && /'nope' not found/.test(e.message),
  );
  assert.deepEqual((await served.client.methods()).sort(), Object.keys(METHODS).sort());
});

Deno.test("cwd is where scripts run; a missing one is refused", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await using served = await serve(shell({ cwd: dir }), ShellClient);
    assert.equal(joined(await collect(served.client.output("pwd"))).stdout, `${dir}\n`);
    await Deno.remove(dir);
    await assert.rejects(collect(served.client.output("pwd")), /Working directory does not exist/);
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
});

Deno.test("the default interpreter is bash -c, and a missing one is a clear error", async () => {
  {
    await using served = await serve(
      new Shell({ methods: { which: 'echo "$BASH_VERSION" | cut -c1' } }),
      ShellClient,
    );
    assert.match(joined(await collect(served.client.output("which"))).stdout, /^\d\n$/);
  }
  await using served = await serve(
    new Shell({ methods: { x: "true" }, shell: ["/nonexistent/sh", "-c"] }),
    ShellClient,
  );
  await assert.rejects(collect(served.client.output("x")), /interpreter "\/nonexistent\/sh"/);
});

Deno.test("config follows upstream: string or {command, description, timeout} methods", () => {
  assert.equal(
    driverRegistry.get("jumpstarter_driver_shell.driver.Shell")?.name,
    "Shell",
  );
  const parsed = shellConfigSchema.parse({ methods: { a: "true" } });
  assert.deepEqual(parsed, {
    methods: { a: "true" },
    shell: ["bash", "-c"],
    timeout: 300,
    cwd: null,
  });
  const driver = shell();
  assert.equal(driver.methodsDescription.slow, "sleeps");
  assert.equal(driver.methodsDescription.hello, "Execute the hello shell method");
  for (
    const [config, message] of [
      [{}, /methods/],
      [{ methods: { a: "" } }, /must not be empty/],
      [{ methods: { a: { command: "x", timout: 3 } } }, /timout/],
      [{ methods: { "-a": "x" } }, /must not start with/],
      [{ methods: { a: "x" }, timeout: 0 }, /timeout|>0|too small/i],
      [{ methods: { a: "x" }, shell: [] }, /shell|too small/i],
    ] as const
  ) {
    const result = shellConfigSchema.safeParse(config);
    assert.equal(result.success, false, JSON.stringify(config));
    const text = result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    assert.match(text, message, text);
  }
});
