/**
 * `jmp run --exporter-config FILE`: prints its socket, serves `j` until SIGINT/SIGTERM, then exits
 * 128+N and removes the socket.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertOutput,
  concurrently,
  describe,
  exists,
  jmp,
  runtimeDir,
  spawnJmp,
  VIRTUAL_LAB,
  withTimeout,
} from "./_helpers.ts";

const STARTUP_MS = 15_000;
/** `j power cycle --wait`: longer than eight clients take to start on a busy machine. */
const CYCLE_WAIT_MS = STARTUP_MS + 5_000;

/** Serves the virtual lab with `jmp run`, drives it with `jmp j`, stops it with `signal`. */
async function serveAndStop(signal: Deno.Signal, expectedCode: number): Promise<void> {
  await using runtime = await runtimeDir();
  await using exporter = spawnJmp(["run", "--exporter-config", VIRTUAL_LAB], { env: runtime.env });
  const socket = await withTimeout(exporter.firstLine, STARTUP_MS, "jmp run printing its socket");
  assert.ok(socket.startsWith(`${runtime.path}/`), `unexpected socket path ${socket}`);
  assert.ok((await Deno.lstat(socket)).isSocket, `${socket} is not a socket`);

  const session = { env: { JUMPSTARTER_HOST: socket, JMP_DRIVERS_ALLOW: "UNSAFE" } };
  const on = await jmp(["j", "power", "on"], session);
  assertExit(on, 0);
  const read = await jmp(["j", "power", "read"], session);
  assertExit(read, 0);
  assert.deepEqual(read.stdout.trimEnd().split("\n"), [
    "voltage=0.0 V  current=0.0 A  apparent_power=0.0 VA",
    "voltage=5.0 V  current=2.0 A  apparent_power=10.0 VA",
  ], describe(read));
  // the exporter keeps serving after clients come and go
  assertExit(await jmp(["j", "main-power", "off"], session), 0);

  const result = await exporter.stop(signal);
  assertExit(result, expectedCode);
  assert.equal(result.stdout, `${socket}\n`, "jmp run prints only the socket on stdout");
  assertOutput(result, "stderr", `${signal} received`);
  assert.equal(await exists(socket), false, `${socket} is left behind`);
  await runtime.assertEmpty();
}

Deno.test("jmp run serves j until a signal stops it", async (t) => {
  await concurrently(t, {
    "SIGTERM: exit 143, socket removed": () => serveAndStop("SIGTERM", 143),
    "SIGINT: exit 130, socket removed": () => serveAndStop("SIGINT", 130),
    "jmp run without a selector exits 2": async () => {
      const result = await jmp(["run"]);
      assertExit(result, 2);
      assertOutput(result, "stderr", "Error: one of --exporter, --exporter-config");
    },
  });
});

Deno.test("a j still connected when jmp run stops ends with an error, not a crash", async () => {
  // A graceful HTTP/2 shutdown sends GOAWAY, which crashes connected Deno clients inside
  // node:http2 (nghttp2 assertion `stream->closed_next == NULL`, exit 134, or SIGSEGV, 139;
  // denoland/deno#36788); `jmp run` therefore exits without one. Eight clients made the crash
  // near-certain when it did.
  const CLIENTS = 8;
  await using runtime = await runtimeDir();
  await using exporter = spawnJmp(["run", "--exporter-config", VIRTUAL_LAB], { env: runtime.env });
  const socket = await withTimeout(exporter.firstLine, STARTUP_MS, "jmp run printing its socket");
  const session = { env: { JUMPSTARTER_HOST: socket, JMP_DRIVERS_ALLOW: "UNSAFE" } };
  const clients = Array.from(
    { length: CLIENTS },
    // the wait outlasts the spread of eight starts on a busy machine (each within STARTUP_MS), so
    // no client can finish its cycle before the exporter is stopped
    () => spawnJmp(["j", "power", "cycle", "--wait", String(CYCLE_WAIT_MS / 1000)], session),
  );
  try {
    // each client prints this once connected, then switches off and waits
    for (const client of clients) {
      assert.equal(
        await withTimeout(client.firstLine, STARTUP_MS, "j power cycle starting"),
        `Power cycling with ${CYCLE_WAIT_MS / 1000} seconds wait time...`,
      );
    }
    assertExit(await exporter.stop("SIGTERM"), 143);
    // a client may be in its off-on wait when the exporter goes: it fails at its next call
    const results = await Promise.all(clients.map((client) => client.wait(CYCLE_WAIT_MS + 20_000)));
    const bad = results.filter((result) =>
      result.timedOut || result.signal !== null || result.code !== 1 ||
      !result.stderr.startsWith("Error: ")
    );
    assert.equal(
      bad.length,
      0,
      `${bad.length} of ${CLIENTS} clients did not end with exit 1 and an Error: message:\n` +
        bad.map(describe).join("\n"),
    );
  } finally {
    await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
  }
  await runtime.assertEmpty();
});
