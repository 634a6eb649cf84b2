/**
 * Local and direct mode across implementations: upstream's client library, `j` and `jmp shell`
 * (HEAD and 0.7.0) against our exporter, and ours against upstream's, with upstream's own example
 * exporter config (power, echo, serial on loop://, shell) served by either side.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { freePort, until } from "../_distributed.ts";
import {
  assertExit,
  assertOutput,
  type BackgroundJmp,
  jmp,
  ROOT,
  run,
  spawnJmp,
  spawnProgram,
} from "../_helpers.ts";
import { linesOf, peerEnv } from "./_lab.ts";
import { UPSTREAM_PEER_SOURCE, upstreamPeer } from "./_peer.ts";
import { serveWithUpstream } from "./_upstream_exporter.ts";
import { DRIVER_PACKAGES } from "../../cli/driver_packages.ts";

// each test starts a controller, exporters and Python clients: seconds apiece on two cores
fileDeadline(import.meta.url, 120_000);

const UPSTREAM_CONFIG = `${UPSTREAM_PEER_SOURCE}exporter-local.yaml`;
const CLIENT_DEMO = `${UPSTREAM_PEER_SOURCE}client_demo.py`;
const COMMAND_MS = 60_000;
const STOP_MS = 15_000;
/** Our `j` and `jmp`, ahead of upstream's on PATH. */
const OUR_BIN = `${ROOT}bin`;

/** Our `jmp run` serving upstream's example config on a private socket (its first line). */
async function ourLocalExporter(): Promise<{ socket: string; process: BackgroundJmp }> {
  const process = spawnJmp(["run", "--exporter-config", UPSTREAM_CONFIG]);
  return { socket: await process.firstLine, process };
}

for (const version of ["head", "0.7.0"] as const) {
  Deno.test(`local: upstream ${version}'s client library and j drive our exporter`, async () => {
    const peer = upstreamPeer(version);
    const ours = await ourLocalExporter();
    try {
      const session = { JUMPSTARTER_HOST: ours.socket, JMP_DRIVERS_ALLOW: "UNSAFE" };
      const demo = await run(peer.python, [CLIENT_DEMO], {
        ...peerEnv(peer, session),
        timeoutMs: COMMAND_MS,
      });
      assertExit(demo, 0);
      assertOutput(demo, "stdout", "echo.stream() send/receive -> b'hello jumpstarter'");
      assertOutput(demo, "stdout", "serial.stream() send/receive -> b'hello jumpstarter'");
      assertOutput(demo, "stdout", "hello from the upstream shell driver");
      const j = await run(peer.j, ["power", "on"], {
        ...peerEnv(peer, session),
        timeoutMs: COMMAND_MS,
      });
      assertExit(j, 0);
    } finally {
      await ours.process.stop("SIGTERM", STOP_MS);
    }
  });

  Deno.test(`local: our j drives upstream ${version}'s exporter`, async () => {
    const peer = upstreamPeer(version);
    await using theirs = await serveWithUpstream(
      peer,
      await Deno.readTextFile(UPSTREAM_CONFIG),
      DRIVER_PACKAGES,
    );
    const session = { JUMPSTARTER_HOST: theirs.socket, JMP_DRIVERS_ALLOW: "UNSAFE" };
    const power = await run(`${OUR_BIN}/j`, ["power", "on"], {
      env: session,
      timeoutMs: COMMAND_MS,
    });
    assertExit(power, 0);
    const hello = await run(`${OUR_BIN}/j`, ["shell", "hello"], {
      env: session,
      timeoutMs: COMMAND_MS,
    });
    assertExit(hello, 0);
    assertOutput(hello, "stdout", "hello from the upstream shell driver");
  });

  Deno.test(`local: upstream ${version}'s jmp shell runs our j, ours runs theirs`, async () => {
    const peer = upstreamPeer(version);
    const theirShell = await run(
      peer.jmp,
      ["shell", "--exporter-config", UPSTREAM_CONFIG, "--", `${OUR_BIN}/j`, "shell", "hello"],
      { ...peerEnv(peer), timeoutMs: COMMAND_MS },
    );
    assertExit(theirShell, 0);
    assertOutput(theirShell, "stdout", "hello from the upstream shell driver");
    const ourShell = await jmp(
      ["shell", "--exporter-config", UPSTREAM_CONFIG, "--", peer.j, "shell", "hello"],
      { ...peerEnv(peer), timeoutMs: COMMAND_MS },
    );
    assertExit(ourShell, 0);
    assertOutput(ourShell, "stdout", "hello from the upstream shell driver");
  });
}

Deno.test("direct: upstream HEAD's jmp shell --tls-grpc drives our jmp run --tls-grpc-listener", async () => {
  const head = upstreamPeer("head");
  const port = freePort();
  const ours = spawnJmp([
    "run",
    "--exporter-config",
    UPSTREAM_CONFIG,
    "--tls-grpc-listener",
    `127.0.0.1:${port}`,
    "--tls-grpc-insecure",
  ]);
  try {
    const address = await ours.firstLine;
    const result = await run(
      head.jmp,
      ["shell", "--tls-grpc", address, "--tls-grpc-insecure", "--", "j", "shell", "hello"],
      { ...peerEnv(head), timeoutMs: COMMAND_MS },
    );
    assertExit(result, 0);
    assertOutput(result, "stdout", "hello from the upstream shell driver");
    assert.doesNotMatch(result.stdout + result.stderr, /Traceback|unreachable/);
  } finally {
    await ours.stop("SIGTERM", STOP_MS);
  }
});

Deno.test("direct: our jmp shell --tls-grpc drives upstream HEAD's jmp run --tls-grpc-listener", async () => {
  const head = upstreamPeer("head");
  const port = freePort();
  const theirs = spawnProgram(head.jmp, [
    "run",
    "--exporter-config",
    UPSTREAM_CONFIG,
    "--tls-grpc-listener",
    `127.0.0.1:${port}`,
    "--tls-grpc-insecure",
  ], peerEnv(head));
  try {
    const address = `127.0.0.1:${port}`;
    await until("upstream's direct listener to accept connections", async () => {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      } catch {
        return false;
      }
    }, 30_000);
    const result = await jmp(
      ["shell", "--tls-grpc", address, "--tls-grpc-insecure", "--", "j", "shell", "hello"],
      { env: { PATH: `${OUR_BIN}:${Deno.env.get("PATH")}` }, timeoutMs: COMMAND_MS },
    );
    assertExit(result, 0);
    assertOutput(result, "stdout", "hello from the upstream shell driver");
  } finally {
    await theirs.stop("SIGTERM", STOP_MS);
  }
});

for (const exporterSide of ["ours", "upstream HEAD's"] as const) {
  Deno.test(`direct: ${exporterSide} jmp run runs beforeLease at start and afterLease at stop`, async () => {
    const head = upstreamPeer("head");
    const dir = await Deno.makeTempDir({ prefix: "jmp-upstream-direct-" });
    const log = `${dir}/hooks.log`;
    const config = `${dir}/exporter.yaml`;
    const base = parse(await Deno.readTextFile(UPSTREAM_CONFIG)) as Record<string, unknown>;
    await Deno.writeTextFile(
      config,
      stringify({
        ...base,
        hooks: {
          beforeLease: { script: `echo "before $LEASE_NAME" >> ${log}` },
          afterLease: { script: `echo "after $LEASE_NAME" >> ${log}` },
        },
      }),
    );
    const port = freePort();
    const args = [
      "run",
      "--exporter-config",
      config,
      "--tls-grpc-listener",
      `127.0.0.1:${port}`,
      "--tls-grpc-insecure",
    ];
    const exporter = exporterSide === "ours"
      ? spawnJmp(args)
      : spawnProgram(head.jmp, args, peerEnv(head));
    try {
      await until("the beforeLease hook", async () => (await linesOf(log)).length === 1, 30_000);
      const shell = await run(
        head.jmp,
        [
          "shell",
          "--tls-grpc",
          `127.0.0.1:${port}`,
          "--tls-grpc-insecure",
          "--",
          "j",
          "power",
          "on",
        ],
        { ...peerEnv(head), timeoutMs: COMMAND_MS },
      );
      assertExit(shell, 0);
      assert.deepEqual(await linesOf(log), ["before standalone"], "no afterLease before stop");
    } finally {
      await exporter.stop("SIGTERM", STOP_MS);
    }
    assert.deepEqual(await linesOf(log), ["before standalone", "after standalone"]);
    await Deno.remove(dir, { recursive: true });
  });
}
