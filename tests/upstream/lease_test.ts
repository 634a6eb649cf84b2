/**
 * Upstream's own `jmp` and `j` (HEAD and 0.7.0) lease our exporter through our controller, and
 * our client leases upstream's exporter: the lease loop of issue 9 items 1 and 2.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { getLeases, until } from "../_distributed.ts";
import { assertExit, assertOutput, describe, jmp, ROOT, run, type RunResult } from "../_helpers.ts";
import { linesOf, peerEnv, startUpstreamLab } from "./_lab.ts";
import { UPSTREAM_PEER_SOURCE, type UpstreamPeer, upstreamPeer } from "./_peer.ts";

// each test starts a controller, exporters and Python clients: seconds apiece on two cores
fileDeadline(import.meta.url, 180_000);

/** A whole `jmp shell` lease: acquire, hooks, command, afterLease, release. */
const SHELL_MS = 90_000;

function upstreamJmp(peer: UpstreamPeer, args: string[], timeoutMs = SHELL_MS) {
  return run(peer.jmp, args, { ...peerEnv(peer), timeoutMs });
}

/** Hooks that record each run (with the lease name) and drive the board through `j`. */
function recordingHooks(log: string, j = `${ROOT}bin/j`) {
  return {
    beforeLease: {
      script: `echo "before $LEASE_NAME $CLIENT_NAME" >> ${log} && ${j} power on`,
      timeout: 60,
    },
    afterLease: {
      script: `${j} power off && echo "after $LEASE_NAME" >> ${log}`,
      timeout: 60,
    },
  };
}

/** Upstream's `jmp` logs through rich on stdout, its errors on stderr: look at both. */
function printed(result: RunResult): string {
  return result.stdout + result.stderr;
}

/** The status transitions HEAD's status monitor logged ("Status changed: A -> B"). */
function statusChanges(result: RunResult): string[] {
  const text = printed(result).replace(/\s+/g, " ");
  return [...text.matchAll(/Status changed: (\w+) -> (\w+)/g)].map((m) => `${m[1]}->${m[2]}`);
}

/** What HEAD's jmp shell sees of a lease with hooks, from either implementation's exporter. */
const HOOKED_LEASE_STATUSES = [
  "None->LEASE_READY",
  "LEASE_READY->AFTER_LEASE_HOOK",
  "AFTER_LEASE_HOOK->AVAILABLE",
];

/**
 * HEAD's status monitor polls: a fast afterLease hook can come and go between two polls, which it
 * logs as "Missed N status transition(s)". Then only the end is seen; otherwise every step.
 */
function assertHookedLeaseStatuses(result: RunResult): void {
  const missed = /Missed \d+ status transition/.test(printed(result).replace(/\s+/g, " "));
  const expected = missed ? ["None->LEASE_READY", "LEASE_READY->AVAILABLE"] : HOOKED_LEASE_STATUSES;
  assert.deepEqual(statusChanges(result), expected, describe(result));
}

function assertNoRetry(result: RunResult): void {
  assert.doesNotMatch(
    printed(result),
    /unreachable|GetStatus timed out|Acquiring lease[\s\S]*Acquiring lease/,
    `the client retried the lease: ${describe(result)}`,
  );
}

Deno.test("upstream HEAD jmp shell -l k=v -- CMD leases our exporter with hooks: CMD once, exit 0", async () => {
  const head = upstreamPeer("head");
  await using lab = await startUpstreamLab();
  const hooksLog = `${lab.dir}/hooks.log`;
  const commandLog = `${lab.dir}/command.log`;
  await lab.ourExporter("bench", ["board=hooked"], { hooks: recordingHooks(hooksLog) });
  const client = await lab.client("alice");

  const result = await upstreamJmp(head, [
    "shell",
    "--client-config",
    client,
    "-l",
    "board=hooked",
    "--",
    "sh",
    "-c",
    `echo "$JMP_LEASE" >> ${commandLog} && j power read`,
  ]);
  assertExit(result, 0);
  assertNoRetry(result);
  assert.match(printed(result), /afterLease hook completed/, describe(result));
  assertHookedLeaseStatuses(result);
  assertOutput(result, "stdout", "voltage");

  const commands = await linesOf(commandLog);
  assert.equal(commands.length, 1, `CMD ran ${commands.length} times: ${commands}`);
  const [lease] = commands;
  assert.deepEqual(await linesOf(hooksLog), [`before ${lease} alice`, `after ${lease}`]);
  assert.equal(await lab.status("bench"), "AVAILABLE");
  assert.deepEqual(await getLeases(client), [], "the lease ended with the shell");
});

Deno.test("upstream HEAD jmp shell --lease NAME uses a lease made by jmp create lease and keeps it", async () => {
  const head = upstreamPeer("head");
  await using lab = await startUpstreamLab();
  await lab.ourExporter("bench", ["board=kept"]);
  const client = await lab.client("alice");
  const created = await upstreamJmp(head, [
    "create",
    "lease",
    "--client-config",
    client,
    "-l",
    "board=kept",
    "--duration",
    "10m",
    "-o",
    "name",
  ]);
  assertExit(created, 0);
  const name = created.stdout.trim();
  assert.match(name, /^[\w-]+$/, describe(created));

  for (const attempt of [1, 2]) {
    const result = await upstreamJmp(head, [
      "shell",
      "--client-config",
      client,
      "--lease",
      name,
      "--",
      "j",
      "power",
      "on",
    ]);
    assertExit(result, 0);
    assert.doesNotMatch(
      printed(result),
      /already ended/,
      `attempt ${attempt}: ${describe(result)}`,
    );
    assertNoRetry(result);
  }
  const [active] = await getLeases(client);
  assert.equal(active?.name, name, "a lease the shell did not create stays active");
  assert.equal(active.effectiveEndTime, null, "an active lease has no effective end");
  assertExit(await upstreamJmp(head, ["delete", "leases", "--client-config", client, name]), 0);
  const [ended] = (await getLeases(client, true)).filter((l) => l.name === name);
  assert.ok(ended?.effectiveEndTime, "an ended lease has its effective end");
});

Deno.test("upstream 0.7.0 jmp shell -l k=v -- j leases our exporter; hooks run around it", async () => {
  const old = upstreamPeer("0.7.0");
  await using lab = await startUpstreamLab();
  const hooksLog = `${lab.dir}/hooks.log`;
  await lab.ourExporter("bench", ["board=old"], { hooks: recordingHooks(hooksLog) });
  const client = await lab.client("alice");
  const result = await upstreamJmp(old, [
    "shell",
    "--client-config",
    client,
    "-l",
    "board=old",
    "--",
    "j",
    "power",
    "on",
  ]);
  assertExit(result, 0);
  assert.doesNotMatch(printed(result), /Error|Traceback/, describe(result));
  // 0.7.0 never calls EndSession: the afterLease hook runs when its DeleteLease ends the lease
  await until("the afterLease hook after 0.7.0's release", async () => {
    const lines = await linesOf(hooksLog);
    return lines.length === 2 && lines[1]!.startsWith("after ");
  });
  await until(
    "the exporter to be AVAILABLE again",
    async () => await lab.status("bench") === "AVAILABLE",
  );
});

for (const version of ["head", "0.7.0"] as const) {
  Deno.test(`upstream ${version}'s client library streams through our router to our exporter`, async () => {
    const peer = upstreamPeer(version);
    await using lab = await startUpstreamLab();
    await lab.ourExporter("streams", [`streams=${version}`], { upstreamDrivers: true });
    const client = await lab.client("alice");
    // power calls, echo and serial byte streams, a shell method: each j/python connection is
    // its own tunnel through our router
    const result = await upstreamJmp(peer, [
      "shell",
      "--client-config",
      client,
      "-l",
      `streams=${version}`,
      "--",
      "python",
      `${UPSTREAM_PEER_SOURCE}client_demo.py`,
    ]);
    assertExit(result, 0);
    assertNoRetry(result);
    assertOutput(result, "stdout", "echo.stream() send/receive -> b'hello jumpstarter'");
    assertOutput(result, "stdout", "serial.stream() send/receive -> b'hello jumpstarter'");
    assertOutput(result, "stdout", "hello from the upstream shell driver");
    assert.match(result.stdout, /^OK$/m, describe(result));
  });

  Deno.test(`our jmp shell leases upstream ${version}'s exporter through our controller`, async () => {
    const peer = upstreamPeer(version);
    await using lab = await startUpstreamLab();
    await lab.upstreamExporter(peer, `up-${version.replace(".", "")}`, [`impl=${version}`]);
    const client = await lab.client("alice");
    const result = await jmp([
      "shell",
      "--client-config",
      client,
      "-l",
      `impl=${version}`,
      "--",
      "sh",
      "-c",
      "j power on && j shell hello",
    ], { timeoutMs: SHELL_MS, env: { PATH: `${ROOT}bin:${Deno.env.get("PATH")}` } });
    assertExit(result, 0);
    assertOutput(result, "stdout", "hello from the upstream shell driver");
    assert.deepEqual(await getLeases(client), [], "our shell released its lease");
  });

  Deno.test(`upstream ${version} client and exporter lease through our controller`, async () => {
    const peer = upstreamPeer(version);
    await using lab = await startUpstreamLab();
    const hooksLog = `${lab.dir}/hooks.log`;
    // 0.7.0 exporters have no hooks
    const hooks = version === "head" ? { hooks: recordingHooks(hooksLog, peer.j) } : {};
    await lab.upstreamExporter(peer, `up-${version.replace(".", "")}`, [`impl=${version}`], hooks);
    const client = await lab.client("alice");
    const result = await upstreamJmp(peer, [
      "shell",
      "--client-config",
      client,
      "-l",
      `impl=${version}`,
      "--",
      "j",
      "shell",
      "hello",
    ]);
    assertExit(result, 0);
    assertNoRetry(result);
    assertOutput(result, "stdout", "hello from the upstream shell driver");
    if (version === "head") {
      // the same statuses our exporter shows in the first test
      assertHookedLeaseStatuses(result);
      assert.equal((await linesOf(hooksLog)).length, 2, "both hooks ran once");
    }
  });
}
