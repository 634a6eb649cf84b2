/**
 * Distributed mode under faults: a client or an exporter killed with SIGKILL mid-lease, the
 * controller restarted with its state directory, and leases that must end at their end time
 * whoever still holds them. Every process is a real subprocess on loopback.
 */
import assert from "node:assert/strict";
import {
  connectController,
  type ControllerConnection,
  getLease,
  type Lease,
} from "@jumpstarter/lib/client";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  type BackgroundJmp,
  describe,
  exists,
  jmp,
  spawnJmp,
  tempDir,
  withTimeout,
} from "./_helpers.ts";
import {
  freePort,
  getLeases,
  makeClient,
  makeExporter,
  readCredentials,
  readyState,
  startController,
  until,
  untilExporter,
} from "./_distributed.ts";

/**
 * How late a lease may still be seen active after its end: the controller's expiry timer runs
 * late when the machine is busy (two cores shared with other suites).
 */
const END_LATENESS_MS = 5_000;

/** Polls for a file a shell command creates once it runs (i.e. the lease was acquired). */
async function untilFile(path: string, shell: BackgroundJmp, ms = 45_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await exists(path))) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${path}; ${describe(await shell.stop("SIGKILL"))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills a process a test started indirectly (its pid written by the shell command). */
async function killPidFile(path: string): Promise<void> {
  try {
    Deno.kill(Number((await Deno.readTextFile(path)).trim()), "SIGKILL");
  } catch { /* never started, or gone */ }
}

/** `jmp shell -l board=virt -- j power on` as another client; asserts it got bench1. */
async function leaseAndPowerOn(client: string): Promise<void> {
  const result = await jmp(
    ["shell", "--client-config", client, "-l", "board=virt", "--", "j", "power", "on"],
    { timeoutMs: 60_000 },
  );
  assertExit(result, 0);
  assertOutput(result, "stderr", "acquired: exporter bench1");
}

/** A controller connection for a client config (precise polling of one lease). */
async function connectAs(clientConfig: string): Promise<ControllerConnection> {
  const credentials = await readCredentials(clientConfig);
  return await connectController({
    endpoint: credentials.endpoint,
    token: credentials.token,
    namespace: credentials.namespace,
    name: credentials.name,
    kind: "Client",
    tls: { ca: credentials.ca },
  });
}

function isEnded(lease: Lease): boolean {
  return lease.conditions.some((c) => c.type === "Ready" && c.status === "False");
}

/** One controller, exporter bench1 (board=virt) running under `jmp run`, two clients. */
async function lab(dir: string, options: { listen?: string } = {}) {
  const controller = await startController(`${dir}/controller`, options);
  const exporterConfig = await makeExporter(controller.adminConfig, dir, "bench1", [
    "board=virt",
  ]);
  const alice = await makeClient(controller.adminConfig, dir, "alice");
  const bob = await makeClient(controller.adminConfig, dir, "bob");
  const startExporter = () => spawnJmp(["run", "--exporter-config", exporterConfig]);
  return { controller, exporterConfig, alice, bob, startExporter };
}

Deno.test("faults: a client killed with SIGKILL mid-lease leaves no stuck lease", async () => {
  await using dir = await tempDir();
  const { controller, alice, bob, startExporter } = await lab(dir.path);
  await using exporter = startExporter();
  using connection = await connectAs(alice);
  const pidFile = `${dir.path}/sleep.pid`;
  try {
    await untilExporter(alice, "bench1");
    // the command gives up jmp's pipes and records its pid, so the orphan can be reaped
    await using shell = spawnJmp([
      "shell",
      "--client-config",
      alice,
      "-l",
      "board=virt",
      "--duration",
      "5s",
      "--",
      "sh",
      "-c",
      `exec >/dev/null 2>&1 </dev/null; echo $$ > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}; ` +
      "exec sleep 60",
    ]);
    await untilFile(pidFile, shell);
    const killed = await shell.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL", describe(killed));
    // nobody released it (asked in-process, so well within its 5 s)
    const { leases } = await connection.clients.listLeases({ parent: "namespaces/default" });
    assert.equal(leases.length, 1, "alice's lease is left behind");
    const held = leases[0]!;
    assert.ok(!isEnded(held), "the lease is still active right after the kill");
    assert.equal(held.exporter, "namespaces/default/exporters/bench1");
    const name = held.name.slice(held.name.lastIndexOf("/") + 1);

    // nobody releases it: it must end at its expiry (5 s after it began), not stay stuck
    await until(
      "the orphaned lease to end",
      async () => (await getLeases(alice)).length === 0,
      30_000,
    );
    const ended = (await getLeases(alice, true)).find((lease) => lease.name === name);
    assert.ok(ended, "the ended lease is listed with --all");
    assert.equal(readyState(ended), "False/Expired", JSON.stringify(ended));
    const lasted = Date.parse(ended.effectiveEndTime!) - Date.parse(ended.effectiveBeginTime!);
    assert.ok(Math.abs(lasted - 5000) <= 1000, `the lease lasted ${lasted} ms, not 5 s`);

    await untilExporter(alice, "bench1");
    await leaseAndPowerOn(bob);
  } finally {
    await killPidFile(pidFile);
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});

Deno.test("faults: the exporter killed mid-lease gives j a clear error, then comes back", async () => {
  await using dir = await tempDir();
  const { controller, alice, bob, startExporter } = await lab(dir.path);
  let exporter = startExporter();
  try {
    await untilExporter(alice, "bench1");
    const ready = `${dir.path}/ready`;
    const go = `${dir.path}/go`;
    // first j works; then (exporter killed meanwhile) the second must fail, and say so
    await using shell = spawnJmp([
      "shell",
      "--client-config",
      alice,
      "-l",
      "board=virt",
      "--duration",
      "2m",
      "--",
      "sh",
      "-c",
      `j power on || exit 99; touch ${ready}; ` +
      // bounded, so that it cannot outlive a failed test by much
      `i=0; while [ ! -e ${go} ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done; ` +
      `start=$(date +%s); j power on; code=$?; ` +
      `echo "second j exited $code after $(( $(date +%s) - start )) s" >&2; exit $code`,
    ]);
    await untilFile(ready, shell);
    const killed = await exporter.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL", describe(killed));
    await Deno.writeTextFile(go, "");

    const result = await shell.wait(75_000);
    assert.ok(!result.timedOut, `jmp shell hung after the exporter died: ${describe(result)}`);
    assert.notEqual(result.code, 0, `j succeeded without an exporter: ${describe(result)}`);
    assert.notEqual(result.code, 99, `the first j failed: ${describe(result)}`);
    assert.match(result.stderr, /^Error: .*exporter/im, describe(result));
    assertNoStackTrace(result);
    const after = /second j exited \d+ after (\d+) s/.exec(result.stderr);
    assert.ok(after, describe(result));
    assert.ok(Number(after[1]) <= 45, `j took ${after[1]} s to fail: ${describe(result)}`);
    // the shell released what it created
    assertOutput(result, "stderr", "Releasing lease");
    assert.deepEqual(await getLeases(alice), []);

    // restarted, the exporter registers again and serves a new lease
    exporter = startExporter();
    await untilExporter(alice, "bench1");
    await leaseAndPowerOn(bob);
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});

Deno.test("faults: a controller restart keeps registrations, clients and active leases", async () => {
  await using dir = await tempDir();
  const listen = `127.0.0.1:${freePort()}`;
  const { controller, alice, bob, startExporter } = await lab(dir.path, { listen });
  let restarted: Awaited<ReturnType<typeof startController>> | undefined;
  await using exporter = startExporter();
  try {
    await untilExporter(alice, "bench1");
    const created = await jmp([
      "create",
      "lease",
      "--client-config",
      alice,
      "-l",
      "board=virt",
      "--duration",
      "5m",
      "-o",
      "json",
    ]);
    assertExit(created, 0);
    const [lease] = JSON.parse(created.stdout) as { name: string }[];
    assert.ok(lease);
    await until(
      "alice's lease to be ready",
      async () => (await getLeases(alice)).some((l) => readyState(l) === "True/Ready"),
    );
    await untilExporter(alice, "bench1", "LEASE_READY");

    const status = await controller.stop("SIGTERM");
    assert.equal(status.code, 143, controller.stderr());
    restarted = await startController(`${dir.path}/controller`, { listen });
    assert.equal(restarted.endpoint, controller.endpoint);

    // clients and the lease survived
    const leases = await getLeases(alice);
    assert.deepEqual(leases.map((l) => [l.name, l.exporter, readyState(l)]), [
      [lease.name, "bench1", "True/Ready"],
    ]);
    // the exporter reconnects its Listen stream: the surviving lease is usable again
    await until("the lease to be usable through the restarted controller", async () => {
      const result = await jmp(
        ["shell", "--client-config", alice, "--lease", lease.name, "--", "j", "power", "on"],
        { timeoutMs: 60_000 },
      );
      return result.code === 0;
    }, 45_000);
    const released = await jmp(["delete", "leases", "--client-config", alice, lease.name]);
    assertExit(released, 0);

    // and its Status stream: it is offered (and serves) a new lease
    await untilExporter(alice, "bench1");
    await leaseAndPowerOn(bob);
    const registered = await jmp([
      "admin",
      "get",
      "exporters",
      "--admin-config",
      restarted.adminConfig,
      "-o",
      "json",
    ]);
    assertExit(registered, 0);
    const [record] = JSON.parse(registered.stdout) as { name: string; online: boolean }[];
    assert.deepEqual([record?.name, record?.online], ["bench1", true]);
    assertOutput(await exporter.stop("SIGTERM", 20_000), "stderr", "Status stream interrupted");
  } finally {
    await exporter.stop("SIGKILL");
    await restarted?.stop();
    await controller.stop();
  }
});

Deno.test("faults: a lease ends at begin + duration even while a shell holds it", async () => {
  await using dir = await tempDir();
  const { controller, alice, startExporter } = await lab(dir.path);
  await using exporter = startExporter();
  using connection = await connectAs(alice);
  try {
    await untilExporter(alice, "bench1");
    // the shell creates the lease itself, so it holds it from its first moment however slowly
    // it starts; after one j it waits for our go (once the lease has ended), then tries again
    const go = `${dir.path}/go`;
    await using shell = spawnJmp([
      "shell",
      "--client-config",
      alice,
      "-l",
      "board=virt",
      "--duration",
      "3s",
      "--",
      "sh",
      "-c",
      `echo "$JMP_LEASE"; j power on; echo first=$? >&2; ` +
      `while [ ! -e ${go} ]; do sleep 0.05; done; j power on; code=$?; echo second=$code >&2; ` +
      "exit $code",
    ]);
    const name = (await shell.firstLine).trim();
    // watch the lease closely (every 100 ms) through the controller: the last poll that saw it
    // active was sent before it ended, the first that saw it ended was answered after
    let lastSeenActive = 0;
    let seenEnded = 0;
    let lease: Lease | undefined;
    await withTimeout(
      (async () => {
        while (true) {
          const sent = Date.now();
          lease = await getLease(connection, name);
          if (isEnded(lease)) break;
          lastSeenActive = sent;
          await new Promise((r) => setTimeout(r, 100));
        }
        seenEnded = Date.now();
      })(),
      60_000,
      "the lease to end",
    );
    assert.ok(lease?.effectiveBeginTime && lease.effectiveEndTime, "begin and end are set");
    const begin = timestampMs(lease.effectiveBeginTime);
    const end = timestampMs(lease.effectiveEndTime);
    assert.equal(end - begin, 3000, "the recorded end is begin + duration");
    // never early; late only by the controller's timer on a busy machine
    assert.ok(seenEnded >= end, `seen ended ${end - seenEnded} ms before its end`);
    assert.ok(
      lastSeenActive <= end + END_LATENESS_MS,
      `still active ${lastSeenActive - end} ms after its end`,
    );
    assert.equal(
      lease.conditions.find((c) => c.type === "Ready")?.reason,
      "Expired",
      JSON.stringify(lease.conditions.map((c) => [c.type, c.status, c.reason])),
    );
    // as jmp shows it
    const [listed] = (await getLeases(alice, true)).filter((l) => l.name === name);
    assert.ok(listed);
    assert.equal(readyState(listed), "False/Expired");
    const shown = Date.parse(listed.effectiveEndTime!) - Date.parse(listed.effectiveBeginTime!);
    assert.ok(Math.abs(shown - 3000) <= 1000, `jmp get leases shows ${shown} ms`);
    assert.deepEqual(await getLeases(alice), [], "no longer active");

    // the holder lost access at the end: its next j is refused
    await Deno.writeTextFile(go, "");
    const held = await shell.wait(60_000);
    assertExit(held, 1);
    assertOutput(held, "stderr", `Lease ${name} acquired`);
    assertOutput(held, "stderr", "second=1");
    assertNoStackTrace(held);
    await untilExporter(alice, "bench1");
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});
