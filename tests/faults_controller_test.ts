/**
 * Fault suite, the controller side (issue 10 items 11, 12): a state directory that lost its
 * journal or its keys is refused, not silently reset; a `jmp shell` waiting for a lease rides out
 * a controller killed with SIGKILL (retrying within `retry_timeout`) and, past it, fails with a
 * clear error. Real processes on loopback; each test prints the time to the clear error.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  jmp,
  spawnJmp,
  tempDir,
} from "./_helpers.ts";
import {
  freePort,
  getLeases,
  powerOnArgs,
  readyState,
  startController,
  until,
  untilExporter,
} from "./_distributed.ts";
import { faultLab, holdLease, refusedStart, report, stopQuietly, stopwatch } from "./_faults.ts";

/** Asserts a refused start: exit 1, one `Error:` line naming `file`, no stack trace. */
function assertRefused(
  refused: { code: number; stderr: string },
  file: string,
  reason: RegExp,
): void {
  const shown = `exit ${refused.code}, stderr:\n${refused.stderr}`;
  assert.equal(refused.code, 1, shown);
  const lines = refused.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected: ${shown}`);
  assert.match(lines[0]!, /^Error: /, shown);
  assert.ok(lines[0]!.includes(file), `the error names ${file}: ${shown}`);
  assert.match(lines[0]!, reason, shown);
  assert.match(lines[0]!, /backup/, `the error says what to do: ${shown}`);
}

Deno.test("faults: a state directory that lost its journal or keys is refused, never reset", async () => {
  await using dir = await tempDir();
  const stateDir = `${dir.path}/controller`;
  const listen = `127.0.0.1:${freePort()}`;
  const lab = await faultLab(dir.path, { listen });
  const journal = `${stateDir}/store/journal.jsonl`;
  const keys = `${stateDir}/keys.json`;
  let restarted: Awaited<ReturnType<typeof startController>> | undefined;
  try {
    const stopped = await lab.controller.stop("SIGTERM");
    assert.equal(stopped.code, 143, lab.controller.stderr());
    const saved = await Deno.readFile(journal);
    const savedKeys = await Deno.readFile(keys);

    // an emptied journal (a crash of the disk, a careless `> journal.jsonl`)
    await Deno.writeFile(journal, new Uint8Array());
    const empty = await refusedStart(stateDir);
    report("controller refuses an empty journal", empty.ms);
    assertRefused(empty, journal, /empty/);
    assert.equal((await Deno.readFile(journal)).length, 0, "the refused start wrote nothing");

    // a missing journal (the store directory lost)
    await Deno.remove(`${stateDir}/store`, { recursive: true });
    const missing = await refusedStart(stateDir);
    report("controller refuses a missing journal", missing.ms);
    assertRefused(missing, journal, /missing/);

    // the journal restored, keys.json lost: new keys would invalidate every token
    await Deno.mkdir(`${stateDir}/store`, { recursive: true });
    await Deno.writeFile(journal, saved);
    await Deno.remove(keys);
    const keyless = await refusedStart(stateDir);
    report("controller refuses a missing keys.json", keyless.ms);
    assertRefused(keyless, keys, /missing.*invalidate every token/);

    // both restored: everything is back, and the tokens issued before still work
    await Deno.writeFile(keys, savedKeys, { mode: 0o600 });
    restarted = await startController(stateDir, { listen });
    const listed = await jmp(["get", "exporters", "--client-config", lab.alice, "-o", "json"]);
    assertExit(listed, 0);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { name: string }[]).map((e) => e.name),
      ["bench1"],
    );
  } finally {
    await stopQuietly(restarted);
    await stopQuietly(lab.controller);
  }
});

Deno.test("faults: a waiting jmp shell rides out a controller killed with SIGKILL", async () => {
  await using dir = await tempDir();
  const listen = `127.0.0.1:${freePort()}`;
  const lab = await faultLab(dir.path, { listen });
  let controller = lab.controller;
  await using exporter = lab.startExporter();
  try {
    await untilExporter(lab.alice, "bench1");
    const held = await holdLease(lab.bob);
    await untilExporter(lab.alice, "bench1", "LEASE_READY");
    // alice queues behind bob
    await using shell = spawnJmp(powerOnArgs(lab.alice));
    await until(
      "alice's lease to be queued",
      async () => (await getLeases(lab.alice)).length === 1,
    );

    const killed = await controller.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    const down = stopwatch();
    // the controller stays down until the waiting shell has noticed and is retrying
    await until(
      "the waiting shell to report the controller unreachable",
      () => Promise.resolve(shell.printed().stderr.includes("controller unreachable")),
    );
    controller = await startController(lab.controller.stateDir, { listen });
    report("controller down (SIGKILL to serving again)", down.lap());

    // the waiting shell is still there, and still queued: release bob's lease and it gets in
    const [queued] = await getLeases(lab.alice);
    assert.ok(queued, "alice's queued lease survived the restart");
    assertExit(await jmp(["delete", "leases", "--client-config", lab.bob, held]), 0);
    const result = await shell.wait(90_000);
    assertExit(result, 0);
    assertOutput(result, "stderr", "controller unreachable");
    assertOutput(result, "stderr", "acquired: exporter bench1");
    assertOutput(result, "stderr", `Releasing lease ${queued.name}`);
    assertNoStackTrace(result);
    assert.deepEqual(await getLeases(lab.alice), [], "alice's lease ended with her shell");
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await stopQuietly(controller);
  }
});

Deno.test("faults: a waiting jmp shell gives up after retry_timeout with a clear error", async () => {
  await using dir = await tempDir();
  const lab = await faultLab(dir.path);
  await using exporter = lab.startExporter();
  try {
    await untilExporter(lab.alice, "bench1");
    await holdLease(lab.bob);
    const config = await Deno.readTextFile(lab.alice);
    assert.doesNotMatch(config, /^leases:/m, "the client config has no leases block yet");
    await Deno.writeTextFile(lab.alice, `${config}leases:\n  retry_timeout: 3\n`);
    await using shell = spawnJmp(powerOnArgs(lab.alice));
    await until(
      "alice's lease to be queued",
      async () => (await getLeases(lab.alice)).length === 1,
    );
    const [queued] = await getLeases(lab.alice);
    assert.ok(queued && readyState(queued) !== "True/Ready", JSON.stringify(queued));

    const killed = await lab.controller.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    const since = stopwatch();
    const result = await shell.wait(30_000);
    const ms = report(
      "waiting jmp shell to a clear error, controller gone (retry_timeout 3 s)",
      since.lap(),
    );
    assertExit(result, 1);
    assert.match(
      result.stderr,
      /^Error: the controller at \S+ stayed unreachable for \d+ s while waiting for lease .*\(retry_timeout 3 s\)/m,
      result.stderr,
    );
    // it retried rather than giving up at the first failure (upstream exited in 0.8 s)
    assert.ok(ms >= 3000, `gave up after ${ms} ms, before retry_timeout`);
    assert.ok(ms <= 10_000, `took ${ms} ms to give up with retry_timeout 3 s`);
    assertOutput(result, "stderr", "controller unreachable");
    // it could not release what it created, and says so
    assertOutput(result, "stderr", `Warning: cannot release lease ${queued.name}`);
    assertNoStackTrace(result);
  } finally {
    await exporter.stop("SIGKILL");
    await stopQuietly(lab.controller);
  }
});

/**
 * alice's `jmp shell` for the board bob holds, so its lease is queued. `--retry-timeout 0`: the
 * shell would give up at once, so the controller allows 13 s between its polls.
 */
function queuedShell(alice: string) {
  const lease = ["-l", "board=virt", "--retry-timeout", "0"];
  return spawnJmp(["shell", "--client-config", alice, ...lease, "--", "j", "power", "on"]);
}

/**
 * alice's lease `name` ended because its client stopped waiting; once bob lets go of `held`, the
 * board is free, not taken by the dead shell's lease.
 */
async function assertDroppedThenFree(
  lab: { alice: string; bob: string },
  name: string,
  held: string,
): Promise<void> {
  const ended = (await getLeases(lab.alice, true)).find((lease) => lease.name === name);
  assert.ok(ended, `the dropped lease ${name} is listed with --all`);
  assert.match(JSON.stringify(ended.conditions), /stopped waiting/);
  assertExit(await jmp(["delete", "leases", "--client-config", lab.bob, held]), 0);
  await untilExporter(lab.alice, "bench1");
  assert.deepEqual(await getLeases(lab.alice), []);
}

Deno.test("faults: a queued lease whose jmp shell was killed is dropped, not handed the board", async () => {
  await using dir = await tempDir();
  const lab = await faultLab(dir.path);
  await using exporter = lab.startExporter();
  try {
    await untilExporter(lab.alice, "bench1");
    const held = await holdLease(lab.bob);
    await using shell = queuedShell(lab.alice);
    await until(
      "alice's lease to be queued",
      async () => (await getLeases(lab.alice)).length === 1,
    );
    const [queued] = await getLeases(lab.alice);
    assert.ok(queued);
    const killed = await shell.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    const since = stopwatch();
    await until(
      "the abandoned lease to be dropped",
      async () => (await getLeases(lab.alice)).length === 0,
      40_000,
    );
    report("queued lease of a SIGKILLed jmp shell to dropped", since.lap());
    await assertDroppedThenFree(lab, queued.name, held);
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await stopQuietly(lab.controller);
  }
});

Deno.test("faults: a restarted controller still drops a queued lease whose jmp shell was killed", async () => {
  await using dir = await tempDir();
  const listen = `127.0.0.1:${freePort()}`;
  const lab = await faultLab(dir.path, { listen });
  let controller = lab.controller;
  await using exporter = lab.startExporter();
  try {
    await untilExporter(lab.alice, "bench1");
    const held = await holdLease(lab.bob);
    await using shell = queuedShell(lab.alice);
    // the waiter rule is in the journal once the shell has polled its queued lease
    const journal = `${controller.stateDir}/store/journal.jsonl`;
    await until(
      "the waiting shell's rule to reach the controller's journal",
      async () => (await Deno.readTextFile(journal)).includes('"collection":"waiters"'),
    );
    const [queued] = await getLeases(lab.alice);
    assert.ok(queued, "alice's lease is queued");
    assert.equal((await shell.stop("SIGKILL")).signal, "SIGKILL");
    await controller.stop("SIGKILL");
    controller = await startController(controller.stateDir, { listen });
    const since = stopwatch();
    await until(
      "the restarted controller to drop the abandoned lease",
      async () => (await getLeases(lab.alice)).length === 0,
      40_000,
    );
    report("queued lease of a SIGKILLed jmp shell to dropped, across a restart", since.lap());
    await assertDroppedThenFree(lab, queued.name, held);
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await stopQuietly(controller);
  }
});
