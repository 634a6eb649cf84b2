/**
 * Issue 9 items 10 and 11, global habits: `jmp --version`, `jmp completion bash|zsh|fish`
 * (the bash script driven by bash itself), `--log-level` and `--log-format` (on `jmp run` and on
 * errors), and `jmp run`'s printed hint working as printed.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertOutput,
  describe,
  jmp,
  jmpArgs,
  run,
  spawnJmp,
  spawnProgram,
  tempDir,
  VIRTUAL_LAB,
} from "./_helpers.ts";
import { makeClient, makeExporter, startController, untilExporter } from "./_distributed.ts";
import { writeLaunchers } from "../cli/j_launcher.ts";
import { eventually } from "@jumpstarter/lib/testing";

Deno.test("jmp --version prints what jmp version prints", async () => {
  const [flag, command] = await Promise.all([jmp(["--version"]), jmp(["version"])]);
  assertExit(flag, 0);
  assertExit(command, 0);
  assert.match(flag.stdout, /^Jumpstarter v\d+\.\d+\.\d+\S* from \S+ \(Deno \d/, describe(flag));
  assert.equal(flag.stdout, command.stdout);
});

Deno.test("jmp completion: scripts for bash, zsh and fish; bash completes commands and flags", async () => {
  await using dir = await tempDir();
  const bin = await writeLaunchers(`${dir.path}/bin`);
  const scripts: Record<string, string> = {};
  for (const shell of ["bash", "zsh", "fish"]) {
    const result = await jmp(["completion", shell]);
    assertExit(result, 0);
    assert.match(result.stdout, /jmp __complete/, describe(result));
    scripts[shell] = result.stdout;
  }
  assert.match(scripts.zsh!, /^#compdef jmp$/m);
  assert.match(scripts.fish!, /^complete -c jmp /m);
  const bad = await jmp(["completion", "tcsh"]);
  assertExit(bad, 2);
  assertOutput(bad, "stderr", "tcsh");

  await Deno.writeTextFile(`${dir.path}/jmp.bash`, scripts.bash!);
  const complete = async (...words: string[]) => {
    const result = await run("bash", [
      "-c",
      `source ${dir.path}/jmp.bash; COMP_WORDS=(jmp ${words.join(" ")}); ` +
      `COMP_CWORD=${words.length}; _jmp_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ], { env: { PATH: `${bin}:${Deno.env.get("PATH")}` }, timeoutMs: 60_000 });
    assertExit(result, 0);
    return result.stdout.trim().split("\n");
  };
  assert.deepEqual(await complete("get", "le"), ["leases"]);
  assert.deepEqual(await complete("shell", "--acq"), ["--acquisition-timeout"]);
  assert.deepEqual(await complete("comp"), ["completion"]);
});

Deno.test("--log-level DEBUG shows an error's stack; the default does not", async () => {
  const args = ["get", "leases", "--client-config", "/nonexistent/alice.yaml"];
  const plain = await jmp(args);
  assertExit(plain, 1);
  assert.doesNotMatch(plain.stderr, /^\s+at /m, describe(plain));
  const debug = await jmp(["--log-level", "DEBUG", ...args]);
  assertExit(debug, 1);
  assert.match(debug.stderr, /^\s+at /m, describe(debug));
});

Deno.test("jmp run: --log-level filters and --log-format json shapes its log lines", async () => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const alice = await makeClient(controller.adminConfig, dir.path, "alice");
  try {
    const runUntilAvailable = async (name: string, globalFlags: string[]) => {
      const config = await makeExporter(controller.adminConfig, dir.path, name, ["k=v"]);
      await using exporter = spawnJmp([...globalFlags, "run", "--exporter-config", config]);
      await untilExporter(alice, name);
      return await exporter.stop("SIGTERM", 20_000);
    };
    const info = await runUntilAvailable("plain", []);
    assertOutput(info, "stderr", "Registering exporter with controller");
    const quiet = await runUntilAvailable("quiet", ["--log-level", "ERROR"]);
    assert.doesNotMatch(quiet.stderr, /Registering exporter/, describe(quiet));
    const json = await runUntilAvailable("json", ["--log-format", "json"]);
    const records = json.stderr.split("\n").filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: string; message: string; time: string });
    assert.ok(
      records.some((r) =>
        r.level === "INFO" && r.message === "Registering exporter with controller"
      ),
      describe(json),
    );
  } finally {
    await controller.stop();
  }
});

Deno.test("jmp run's printed hint works as printed", async () => {
  await using dir = await tempDir();
  const bin = await writeLaunchers(`${dir.path}/bin`);
  const log = `${dir.path}/run.log`;
  // stderr to a file, so that the hint can be read while the exporter serves
  await using exporter = spawnProgram("sh", [
    "-c",
    `exec "$@" 2>${log}`,
    "sh",
    Deno.execPath(),
    ...jmpArgs(["run", "--exporter-config", VIRTUAL_LAB]),
  ]);
  await exporter.firstLine;
  let hint = "";
  await eventually("jmp run to print its hint", async () => {
    hint = /; use (.*)$/m.exec(await Deno.readTextFile(log))?.[1] ?? "";
    return hint.endsWith(" j ...");
  }, { timeoutMs: 20_000 });
  const result = await run("sh", ["-c", hint.replace(/\.\.\.$/, "power on")], {
    env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
    unset: ["JMP_DRIVERS_ALLOW", "JUMPSTARTER_HOST"],
    timeoutMs: 60_000,
  });
  assertExit(result, 0);
  await exporter.stop("SIGTERM", 20_000);
});
