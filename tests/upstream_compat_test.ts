/**
 * Wire compatibility with upstream Jumpstarter's Python client: a grpcio (C-core) script, using
 * protobuf messages that protoc generates from our .proto files, drives our exporter over its
 * Unix socket the way upstream's client does (see tests/upstream_compat/upstream_client.py).
 *
 * Needs the Debian packages named in tests/upstream_compat/_python.ts; the test fails (never skips)
 * without them. Set PYTHON to choose the interpreter; otherwise `python3` then `/usr/bin/python3`
 * are tried.
 */
import assert from "node:assert/strict";
import {
  findPython,
  generateStubs,
  repoPath,
  runProgram,
  terminate,
} from "./upstream_compat/_python.ts";

const CLIENT_SCRIPT = repoPath("tests/upstream_compat/upstream_client.py");
const CLI = repoPath("cli/main.ts");
const LAB_CONFIG = repoPath("examples/virtual-lab.yaml");

const STARTUP_TIMEOUT_MS = 30_000;
const CLIENT_TIMEOUT_MS = 60_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;

/** A running `cli/main.ts run` exporter and what it printed. */
interface RunningExporter {
  socket: string;
  /** SIGTERM (once), then the exit status, stdout after the first line, and stderr. */
  stop(): Promise<{ status: Deno.CommandStatus; stdout: string; stderr: string }>;
}

async function startExporter(): Promise<RunningExporter> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "run", "--exporter-config", LAB_CONFIG],
    cwd: repoPath("."),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let rest: Promise<string> | undefined;

  let stopping: ReturnType<RunningExporter["stop"]> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const status = await terminate(child, SHUTDOWN_TIMEOUT_MS);
      return { status, stdout: await (rest ??= drain()), stderr: await stderr };
    })();
    return stopping;
  };
  const drain = async (): Promise<string> => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
    }
    return buffered + decoder.decode();
  };

  let startupTimer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    startupTimer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
  });
  const firstLine = (async (): Promise<string | null> => {
    while (!buffered.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) return null;
      buffered += decoder.decode(value, { stream: true });
    }
    const newline = buffered.indexOf("\n");
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    return line;
  })();
  const line = await Promise.race([firstLine, timedOut]);
  clearTimeout(startupTimer);
  if (line === null || line === "timeout" || line.trim() === "") {
    const { status, stderr: errors } = await stop();
    await firstLine.catch(() => null);
    assert.fail(
      `exporter did not print its socket path (${
        line === "timeout" ? `no line in ${STARTUP_TIMEOUT_MS} ms` : `exit ${status.code}`
      }):\n${errors}`,
    );
  }
  // Keep reading so the exporter never blocks on a full stdout pipe.
  rest = drain();
  return { socket: line.trim(), stop };
}

/** The JSON summary printed by upstream_client.py. */
interface Summary {
  ok: boolean;
  failed: string[];
  passed: string[];
  grpcVersion: string;
  report: {
    uuid: string;
    count: number;
    entries: {
      uuid: string;
      parentUuid: string | null;
      client: string | null;
      name: string | null;
    }[];
    repeatedUuids: string[];
  };
  tree: { root: string; children: string[]; boardChildren: string[] };
  driverCall: Record<string, string>;
  read: Record<string, number>[];
  errors: Record<string, string>;
  logs: { uuid: string; severity: string; message: string }[];
  status: string;
}

const POWER_CLIENT = "jumpstarter_driver_power.client.PowerClient";
const COMPOSITE_CLIENT = "jumpstarter_driver_composite.client.CompositeClient";

Deno.test("upstream Python grpcio client drives the virtual-lab exporter", async () => {
  const python = await findPython();
  const stubs = await Deno.makeTempDir({ prefix: "jmp-upstream-compat-" });
  let exporter: RunningExporter | undefined;
  try {
    await generateStubs(stubs);
    exporter = await startExporter();

    const client = await runProgram(
      python,
      [CLIENT_SCRIPT, "--socket", exporter.socket, "--stubs", stubs],
      { timeoutMs: CLIENT_TIMEOUT_MS, env: { PYTHONDONTWRITEBYTECODE: "1" } },
    );
    assert.ok(client !== null, `${python} disappeared`);
    assert.equal(
      client.code,
      0,
      `upstream client failed (exit ${client.code}):\n${client.stderr}\n${client.stdout}`,
    );
    const summary = JSON.parse(client.stdout) as Summary;
    assert.equal(summary.ok, true);
    assert.deepEqual(summary.failed, []);

    // Report: root, power, board, board.power, main-power (proxy of board.power).
    const { report } = summary;
    assert.equal(report.count, 5);
    assert.deepEqual(
      report.entries.map((entry) => [entry.name, entry.client]),
      [
        [null, COMPOSITE_CLIENT],
        ["power", POWER_CLIENT],
        ["board", COMPOSITE_CLIENT],
        ["power", POWER_CLIENT],
        ["main-power", POWER_CLIENT],
      ],
    );
    const [root, , board, boardPower, mainPower] = report.entries;
    assert.equal(root?.parentUuid, null);
    assert.equal(boardPower?.parentUuid, board?.uuid);
    assert.equal(mainPower?.parentUuid, root?.uuid);
    assert.equal(mainPower?.uuid, boardPower?.uuid);
    assert.deepEqual(report.repeatedUuids, [boardPower?.uuid]);
    assert.equal(report.entries.filter((entry) => entry.uuid === mainPower?.uuid).length, 2);
    assert.deepEqual(summary.tree, {
      root: COMPOSITE_CLIENT,
      children: ["board", "main-power", "power"],
      boardChildren: ["power"],
    });

    // Calls, streams and error statuses.
    assert.deepEqual(summary.driverCall, { on: "null_value", off: "null_value" });
    assert.deepEqual(summary.read, [{ voltage: 0, current: 0 }, { voltage: 5, current: 2 }]);
    assert.deepEqual(summary.errors, {
      unknownMethod: "NOT_FOUND",
      wrongArgCount: "INVALID_ARGUMENT",
      unknownUuid: "NOT_FOUND",
    });

    // Logs of the on/off calls, then the session status.
    const messages = summary.logs.map((record) => record.message);
    assert.ok(messages.includes("power on"), `log messages: ${JSON.stringify(messages)}`);
    assert.ok(messages.includes("power off"), `log messages: ${JSON.stringify(messages)}`);
    for (const record of summary.logs.filter((r) => r.message.startsWith("power o"))) {
      assert.equal(record.severity, "INFO");
    }
    assert.equal(summary.status, "EXPORTER_STATUS_LEASE_READY");

    // SIGTERM shuts the exporter down by itself (exit 128 + 15), not by the signal's default.
    const stopped = await exporter.stop();
    assert.equal(stopped.status.signal, null, `exporter killed by a signal:\n${stopped.stderr}`);
    assert.equal(stopped.status.code, 143, `exporter exit status:\n${stopped.stderr}`);
  } finally {
    await exporter?.stop();
    await Deno.remove(stubs, { recursive: true });
  }
});
