/**
 * `jmp shell --exporter-config examples/virtual-lab.yaml -- COMMAND`, end to end: the command gets
 * a working `j`, its exit code becomes jmp's, and the private socket is gone afterwards.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  concurrently,
  describe,
  exists,
  jmp,
  jmpShell,
  runtimeDir,
  VIRTUAL_LAB,
} from "./_helpers.ts";

Deno.test("jmp shell runs a command with j and the virtual lab", async (t) => {
  await using runtime = await runtimeDir();
  const options = { env: runtime.env };
  await concurrently(t, {
    "-- j power on exits 0": async () => {
      const result = await jmpShell(["j", "power", "on"], options);
      assertExit(result, 0);
      assert.equal(result.stderr, "", describe(result));
    },
    "-- sh -c 'j power read' prints both readings": async () => {
      const result = await jmpShell(["sh", "-c", "j power read"], options);
      assertExit(result, 0);
      assert.deepEqual(result.stdout.trimEnd().split("\n"), [
        "voltage=0.0 V  current=0.0 A  apparent_power=0.0 VA",
        "voltage=5.0 V  current=2.0 A  apparent_power=10.0 VA",
      ], describe(result));
    },
    "j --help lists power, board and main-power": async () => {
      const result = await jmpShell(["j", "--help"], options);
      assertExit(result, 0);
      const commands = result.stdout.split("Commands:")[1] ?? "";
      const names = [...commands.matchAll(/^ {2}(\S+)/gm)].map((match) => match[1]);
      assert.deepEqual(names, ["power", "board", "main-power", "help"], describe(result));
    },
    "j power bogus is a usage error (exit 1)": async () => {
      const result = await jmpShell(["j", "power", "bogus"], options);
      assertExit(result, 1);
      assertOutput(result, "stderr", "unknown command 'bogus'");
      assertNoStackTrace(result);
    },
    "j board power cycle --wait 0 works": async () => {
      const result = await jmpShell(["j", "board", "power", "cycle", "--wait", "0"], options);
      assertExit(result, 0);
      assertOutput(result, "stdout", "Power cycling with 0 seconds wait time...");
    },
    "j main-power off works through the proxy": async () => {
      const result = await jmpShell(["j", "main-power", "off"], options);
      assertExit(result, 0);
    },
    "the shell gets JUMPSTARTER_HOST and JMP_DRIVERS_ALLOW=UNSAFE": async () => {
      const result = await jmpShell(
        ["sh", "-c", 'printf "%s\\n" "$JUMPSTARTER_HOST" "$JMP_DRIVERS_ALLOW"'],
        options,
      );
      assertExit(result, 0);
      const [host, allow] = result.stdout.trimEnd().split("\n");
      assert.ok(host?.startsWith(runtime.path + "/"), describe(result));
      assert.equal(allow, "UNSAFE");
    },
  });
  // every session above removed its socket directory when it ended
  await runtime.assertEmpty();
});

Deno.test("jmp shell passes on the command's exit status", async (t) => {
  await using runtime = await runtimeDir();
  const options = { env: runtime.env };
  await concurrently(t, {
    "-- sh -c 'exit 7' exits 7": async () => {
      assertExit(await jmpShell(["sh", "-c", "exit 7"], options), 7);
    },
    "a command killed by SIGTERM gives 143": async () => {
      assertExit(await jmpShell(["sh", "-c", "kill -TERM $$"], options), 143);
    },
    "a command that fails inside j (j power bogus; exit $?) gives 1": async () => {
      assertExit(await jmpShell(["sh", "-c", "j power bogus 2>/dev/null; exit $?"], options), 1);
    },
    "-- no-such-command-xyz exits 127 with an error": async () => {
      const result = await jmpShell(["no-such-command-xyz"], options);
      assertExit(result, 127);
      assertOutput(result, "stderr", "Error: ");
      assertOutput(result, "stderr", "no-such-command-xyz");
      assertNoStackTrace(result);
    },
    "a command that is not executable exits 126": async () => {
      const result = await jmpShell([VIRTUAL_LAB], options);
      assertExit(result, 126);
      assertOutput(result, "stderr", "Error: ");
    },
  });
  await runtime.assertEmpty();
});

Deno.test("the socket in JUMPSTARTER_HOST is removed when jmp shell exits", async () => {
  await using runtime = await runtimeDir();
  const result = await jmpShell(
    ["sh", "-c", 'echo "$JUMPSTARTER_HOST"; test -S "$JUMPSTARTER_HOST" && echo socket'],
    { env: runtime.env },
  );
  assertExit(result, 0);
  const [host, kind] = result.stdout.trimEnd().split("\n");
  assert.ok(host, describe(result));
  assert.equal(kind, "socket", `JUMPSTARTER_HOST should name a live socket: ${describe(result)}`);
  assert.equal(await exists(host), false, `${host} is left behind`);
  await runtime.assertEmpty();
});

Deno.test("jmp usage and help", async (t) => {
  await using runtime = await runtimeDir();
  const options = { env: runtime.env };
  await concurrently(t, {
    "jmp shell with no selector exits 2 with an error": async () => {
      const result = await jmp(["shell", "--", "true"], options);
      assertExit(result, 2);
      assertOutput(result, "stderr", "Error: ");
      assertOutput(result, "stderr", "--exporter-config");
      assertNoStackTrace(result);
    },
    "jmp shell with both selectors exits 2": async () => {
      const result = await jmp(
        ["shell", "--exporter-config", VIRTUAL_LAB, "--exporter", "lab", "--", "true"],
        options,
      );
      assertExit(result, 2);
      assertOutput(result, "stderr", "Error: only one of --exporter, --exporter-config");
    },
    "an unknown jmp option exits 2": async () => {
      const result = await jmp(["shell", "--bogus"], options);
      assertExit(result, 2);
      assertOutput(result, "stderr", "unknown option '--bogus'");
    },
    "jmp --help exits 0 and lists the commands": async () => {
      const result = await jmp(["--help"], options);
      assertExit(result, 0);
      for (const command of ["shell", "run", "version"]) assertOutput(result, "stdout", command);
    },
    "jmp shell --help exits 0": async () => {
      const result = await jmp(["shell", "--help"], options);
      assertExit(result, 0);
      assertOutput(result, "stdout", "--exporter-config");
    },
    "jmp version prints the version, -o json the upstream keys": async () => {
      const [text, json] = await Promise.all([
        jmp(["version"], options),
        jmp(["version", "-o", "json"], options),
      ]);
      assertExit(text, 0);
      assert.match(text.stdout, /^Jumpstarter v\d+\.\d+\.\d+ from .+ \(Deno \d+\.\d+\.\d+\)\n$/);
      assertExit(json, 0);
      const parsed = JSON.parse(json.stdout);
      assert.deepEqual(Object.keys(parsed).sort(), ["gitVersion", "pythonVersion"]);
      assert.equal(parsed.pythonVersion, `Deno ${Deno.version.deno}`);
    },
  });
  await runtime.assertEmpty();
});
