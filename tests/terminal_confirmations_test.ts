/**
 * Commands that change something confirm it on a terminal and stay quiet when piped, as
 * upstream's do (upstream prints nothing in both cases; a terminal confirmation is ours). The
 * terminal is a real pty from util-linux `script`.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  concurrently,
  describe,
  jmp,
  jmpArgs,
  jmpShell,
  run,
  type RunResult,
  tempDir,
  VIRTUAL_LAB,
} from "./_helpers.ts";
import { clientArgs, ok, withHome } from "./_jmp_config.ts";

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Runs `jmp ARGS...` with its stdin, stdout and stderr on a pty; returns what the pty showed. */
function onTerminal(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const command = [Deno.execPath(), ...jmpArgs(args)].map(shellQuote).join(" ");
  // -e: script exits with the command's code; the transcript goes to /dev/null
  return run("script", ["-q", "-e", "-c", command, "/dev/null"], { env, timeoutMs: 60_000 });
}

Deno.test("confirmations on a terminal, silence when piped", async (t) => {
  await concurrently(t, {
    "jmp config client use: confirms on a terminal, prints nothing piped": () =>
      withHome(async (home) => {
        ok(await home.jmp(clientArgs("alice")));
        ok(await home.jmp(clientArgs("bob")));
        const env = { JMP_CLIENT_CONFIG_HOME: home.path };
        const piped = ok(await home.jmp(["config", "client", "use", "bob"]));
        assert.equal(piped.stdout, "", describe(piped));
        const shown = await onTerminal(["config", "client", "use", "alice"], env);
        assertExit(shown, 0);
        assert.match(
          shown.stdout,
          /Using client config "alice" \(.*alice\.yaml\)/,
          describe(shown),
        );
        // -o path keeps its machine-readable output on a terminal too
        const path = await onTerminal(["config", "client", "use", "bob", "-o", "path"], env);
        assertExit(path, 0);
        assert.doesNotMatch(path.stdout, /Using client config/, describe(path));
        assert.match(path.stdout, /bob\.yaml/, describe(path));
      }),
    "jmp config client delete: confirms on a terminal": () =>
      withHome(async (home) => {
        ok(await home.jmp(clientArgs("carol")));
        const env = { JMP_CLIENT_CONFIG_HOME: home.path };
        const shown = await onTerminal(["config", "client", "delete", "carol"], env);
        assertExit(shown, 0);
        assert.match(shown.stdout, /Deleted client config "carol"/, describe(shown));
      }),
    "j storage host/dut/off: confirm on a terminal, print nothing piped": async () => {
      await using tmp = await tempDir();
      const config = `${tmp.path}/storage.yaml`;
      await Deno.writeTextFile(
        config,
        "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
          "  storage: { type: jumpstarter_driver_opendal.driver.MockStorageMux }\n",
      );
      const shell = ["shell", "--exporter-config", config, "--", "sh", "-c"];
      const piped = await jmp([...shell, "j storage host && j storage off"], { timeoutMs: 60_000 });
      assertExit(piped, 0);
      assert.equal(piped.stdout, "", describe(piped));
      const shown = await onTerminal([
        ...shell,
        "j storage host && j storage dut && j storage off",
      ]);
      assertExit(shown, 0);
      assert.match(
        shown.stdout,
        /storage: storage connected to the host\r?\nstorage: storage connected to the DUT\r?\nstorage: storage disconnected/,
        describe(shown),
      );
    },
    "j power on/off: confirm on a terminal, print nothing piped": async () => {
      const piped = await jmpShell(["j", "power", "on"], { timeoutMs: 60_000 });
      assertExit(piped, 0);
      assert.equal(piped.stdout, "", describe(piped));
      const command = ["shell", "--exporter-config", VIRTUAL_LAB, "--", "sh", "-c"];
      const shown = await onTerminal([...command, "j power on && j power off"]);
      assertExit(shown, 0);
      assert.match(shown.stdout, /power: powered on\r?\npower: powered off/, describe(shown));
    },
  });
});
