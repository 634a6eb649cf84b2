/**
 * Issue 9 item 11, `jmp shell` habits of upstream HEAD, each run as a command and checked by
 * its effect: no selector means the user's single active lease; the MOTD greets an interactive
 * shell; `JMP_EXPORTER_LABELS`; the acquisition, dial and retry timeouts; and (item 10)
 * `--exporter-logs` in direct mode.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import {
  assertExit,
  assertOutput,
  describe,
  jmp,
  jmpArgs,
  spawnJmp,
  tempDir,
  VIRTUAL_LAB,
} from "./_helpers.ts";
import { freePort, untilExporter } from "./_distributed.ts";
import { faultLab } from "./_faults.ts";

const SLOW = { timeoutMs: 60_000 };
const MOTD = "Welcome to bench1: be gentle with the relay";

async function createLease(client: string, ...flags: string[]): Promise<string> {
  const result = await jmp([
    "create",
    "lease",
    "--client-config",
    client,
    "-l",
    "board=virt",
    "--duration",
    "5m",
    "-o",
    "name",
    ...flags,
  ], SLOW);
  assertExit(result, 0);
  return result.stdout.trim();
}

// many subprocesses in a row: 82 s on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("jmp shell (lease mode) behaves as upstream HEAD's", async (t) => {
  await using dir = await tempDir();
  const { controller, exporterConfig, alice, bob, startExporter } = await faultLab(dir.path);
  await Deno.writeTextFile(exporterConfig, `motd: "${MOTD}"\n`, { append: true });
  await using exporter = startExporter();
  try {
    await untilExporter(alice, "bench1");

    await t.step("no selector and no active lease: a usage error saying so", async () => {
      const result = await jmp(["shell", "--client-config", alice, "--", "true"], SLOW);
      assertExit(result, 2);
      assertOutput(result, "stderr", "no active leases found. Use --selector/-l or --name/-n");
    });

    const held = await createLease(alice);
    await untilExporter(alice, "bench1", "LEASE_READY");

    await t.step(
      "no selector: the single active lease, with JMP_EXPORTER_LABELS; kept after",
      async () => {
        const result = await jmp([
          "shell",
          "--client-config",
          alice,
          "--",
          "sh",
          "-c",
          'printf "%s\\n" "$JMP_LEASE" "$JMP_EXPORTER_LABELS" && j power on',
        ], SLOW);
        assertExit(result, 0);
        assert.deepEqual(result.stdout.trimEnd().split("\n"), [
          held,
          "board=virt,jumpstarter.dev/name=bench1",
        ], describe(result));
        assert.doesNotMatch(result.stdout, new RegExp(MOTD), "no MOTD before a command");
        await untilExporter(alice, "bench1", "LEASE_READY");
      },
    );

    await t.step("--exporter-logs prints the leased exporter's log records", async () => {
      const result = await jmp([
        "shell",
        "--client-config",
        alice,
        "--exporter-logs",
        "--",
        "j",
        "power",
        "on",
      ], SLOW);
      assertExit(result, 0);
      assertOutput(result, "stderr", "power on");
    });

    await t.step("an interactive shell is greeted with the exporter's MOTD", async () => {
      // stdin is /dev/null: the shell reads EOF and exits 0 at once
      const result = await jmp(["shell", "--client-config", alice], {
        ...SLOW,
        env: { SHELL: "/bin/sh" },
      });
      assertExit(result, 0);
      assert.equal(result.stdout.split("\n")[0], MOTD, describe(result));
    });

    await t.step("--acquisition-timeout gives up waiting for a busy board", async () => {
      const started = Date.now();
      const result = await jmp([
        "shell",
        "--client-config",
        bob,
        "-l",
        "board=virt",
        "--acquisition-timeout",
        "5s",
        "--",
        "true",
      ], SLOW);
      const took = Date.now() - started;
      assertExit(result, 1);
      assertOutput(result, "stderr", "acquisition timed out");
      assert.ok(took >= 5000 && took < 30_000, `gave up after ${took} ms, not ~5 s`);
      // the client config's leases.acquisition_timeout, when no flag is given
      const patient = `${dir.path}/bob-5s.yaml`;
      await Deno.writeTextFile(
        patient,
        `${await Deno.readTextFile(bob)}leases:\n  acquisition_timeout: 5\n`,
      );
      const configured = Date.now();
      const fromConfig = await jmp(
        ["shell", "--client-config", patient, "-l", "board=virt", "--", "true"],
        SLOW,
      );
      const waited = Date.now() - configured;
      assertExit(fromConfig, 1);
      assertOutput(fromConfig, "stderr", "acquisition timed out");
      assert.ok(waited >= 5000 && waited < 30_000, `config timeout gave up after ${waited} ms`);
      const tooShort = await jmp([
        "shell",
        "--client-config",
        bob,
        "-l",
        "board=virt",
        "--acquisition-timeout",
        "2",
      ]);
      assertExit(tooShort, 2);
      assertOutput(tooShort, "stderr", "'--acquisition-timeout': '2' is less than the minimum");
    });

    await t.step("--dial-timeout and JMP_DIAL_TIMEOUT are checked like upstream's", async () => {
      const flag = await jmp(["shell", "--client-config", alice, "--dial-timeout", "1s"]);
      assertExit(flag, 2);
      assertOutput(flag, "stderr", "'--dial-timeout': '1s' is less than the minimum of 5");
      const variable = await jmp(["shell", "--client-config", alice, "--", "true"], {
        env: { JMP_DIAL_TIMEOUT: "soon" },
      });
      assertExit(variable, 2);
      assertOutput(variable, "stderr", "'--dial-timeout': 'soon' is not a valid duration");
    });

    await t.step("two active leases: a usage error naming both", async () => {
      const second = await createLease(alice);
      const result = await jmp(["shell", "--client-config", alice, "--", "true"], SLOW);
      assertExit(result, 2);
      assertOutput(result, "stderr", "multiple active leases found");
      assertOutput(result, "stderr", held);
      assertOutput(result, "stderr", second);
    });

    await t.step("two active leases on a terminal: the user picks one", async () => {
      // `script` gives jmp a terminal; the answer is typed ahead: "1", the lease that holds the
      // board (listed first: the second one waits behind it)
      const command = [
        Deno.execPath(),
        ...jmpArgs([
          "shell",
          "--client-config",
          alice,
          "--",
          "sh",
          "-c",
          'echo "picked=$JMP_LEASE"',
        ]),
      ].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
      const child = new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        env: { NO_COLOR: "1" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("1\n"));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const output = await child.output().finally(() => clearTimeout(timer));
      await writer.close().catch(() => {});
      const text = new TextDecoder().decode(output.stdout);
      assert.equal(output.code, 0, text);
      assert.match(text, /Multiple active leases found:/, text);
      assert.match(text, /^\s+2\) \S+/m, text);
      const listed = /^\s+1\) (\S+) \(exporter=bench1/m.exec(text)?.[1];
      assert.equal(listed, held, `the held lease is not listed first:\n${text}`);
      assert.match(text, new RegExp(`picked=${listed}`), text);
    });

    await t.step("--retry-timeout bounds the wait on a controller that went away", async () => {
      // bob's lease waits behind alice's; then the controller stops
      const waiting = await createLease(bob);
      const shell = spawnJmp([
        "shell",
        "--client-config",
        bob,
        "--lease",
        waiting,
        "--retry-timeout",
        "3",
        "--",
        "true",
      ]);
      await controller.stop("SIGKILL");
      const started = Date.now();
      const result = await shell.wait(60_000);
      const took = Date.now() - started;
      assertExit(result, 1);
      assertOutput(result, "stderr", "(retry_timeout 3 s)");
      assert.ok(took < 30_000, `gave up after ${took} ms, not ~3 s`);
    });
  } finally {
    await exporter.stop("SIGKILL", 20_000);
    await controller.stop();
  }
});

Deno.test("jmp shell --exporter-logs prints the exporter's log records (direct, local)", async () => {
  const port = freePort();
  await using exporter = spawnJmp([
    "run",
    "--exporter-config",
    VIRTUAL_LAB,
    "--tls-grpc-listener",
    `127.0.0.1:${port}`,
    "--tls-grpc-insecure",
  ]);
  await exporter.firstLine;
  const address = `127.0.0.1:${port}`;
  const base = ["shell", "--tls-grpc", address, "--tls-grpc-insecure"];
  const withLogs = await jmp([...base, "--exporter-logs", "--", "j", "power", "on"], SLOW);
  assertExit(withLogs, 0);
  assertOutput(withLogs, "stderr", "power on");
  const without = await jmp([...base, "--", "j", "power", "on"], SLOW);
  assertExit(without, 0);
  assert.doesNotMatch(without.stderr, /power on/, describe(without));
  // and in local mode
  const local = await jmp(
    ["shell", "--exporter-config", VIRTUAL_LAB, "--exporter-logs", "--", "j", "power", "on"],
    SLOW,
  );
  assertExit(local, 0);
  assertOutput(local, "stderr", "power on");
});
