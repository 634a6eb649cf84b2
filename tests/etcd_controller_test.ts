/**
 * `jmp-controller --store etcd://...` end to end: a bad URL and an unreachable etcd are refused in
 * one line, and a controller on a real etcd (started by the test) killed with SIGKILL and started
 * again keeps its clients, exporters and active leases, none of which touched the file journal;
 * a state directory without keys over an etcd holding state is refused.
 */
import assert from "node:assert/strict";
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  jmp,
  run,
  spawnJmp,
  tempDir,
} from "./_helpers.ts";
import {
  controllerArgs,
  freePort,
  getLeases,
  makeClient,
  makeExporter,
  readyState,
  startController,
  STARTUP_MS,
  until,
  untilExporter,
} from "./_distributed.ts";
import { holdLease } from "./_faults.ts";

/** Runs jmp-controller with `--store STORE` (on a new state dir), which must refuse to start. */
async function refused(store: string, stateDir?: string) {
  await using dir = await tempDir();
  const result = await run(
    Deno.execPath(),
    controllerArgs([
      "--state-dir",
      stateDir ?? dir.path,
      "--listen",
      "127.0.0.1:0",
      "--store",
      store,
    ]),
    { timeoutMs: STARTUP_MS },
  );
  assertExit(result, 1);
  assertNoStackTrace(result);
  assert.equal(result.stderr.trim().split("\n").length, 1, `one line, got:\n${result.stderr}`);
  assert.equal(result.stdout, "", "it printed an endpoint: it served");
  return result;
}

Deno.test("etcd: a bad --store URL or an unreachable etcd is one clear line", async () => {
  const bad = await refused("etcd://nohost");
  assertOutput(bad, "stderr", "--store");
  assertOutput(bad, "stderr", `bad etcd store URL "etcd://nohost": "nohost" is not host:port`);

  const port = freePort(); // nothing listens there
  const unreachable = await refused(`etcd://127.0.0.1:${port}`);
  assertOutput(unreachable, "stderr", `etcd at http://127.0.0.1:${port} is unreachable`);
});

Deno.test("etcd: a controller killed -9 and restarted keeps clients, exporters and leases", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const stateDir = `${dir.path}/controller`;
  const listen = `127.0.0.1:${freePort()}`;
  const store = `${cluster.storeUrl}/lab1`;
  const controller = await startController(stateDir, { listen, store });
  let restarted: Awaited<ReturnType<typeof startController>> | undefined;
  const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
    "board=virt",
  ]);
  const alice = await makeClient(controller.adminConfig, dir.path, "alice");
  await using exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
  try {
    await untilExporter(alice, "bench1");
    const leaseName = await holdLease(alice, "5m");
    await until(
      "alice's lease to be ready",
      async () => (await getLeases(alice)).some((l) => readyState(l) === "True/Ready"),
    );

    const killed = await controller.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL", controller.stderr());
    // the state lives in etcd: the state directory's file journal (created empty beside the
    // keys, see state_dir.ts) holds nothing but its header
    const journal = await Deno.readTextFile(`${stateDir}/store/journal.jsonl`);
    assert.equal(journal.trim().split("\n").length, 1, `the file journal was used:\n${journal}`);
    restarted = await startController(stateDir, { listen, store });
    assert.equal(restarted.endpoint, controller.endpoint);

    const leases = await getLeases(alice);
    assert.deepEqual(leases.map((l) => [l.name, l.exporter, readyState(l)]), [
      [leaseName, "bench1", "True/Ready"],
    ]);
    await until("the lease to be usable through the restarted controller", async () => {
      const result = await jmp(
        ["shell", "--client-config", alice, "--lease", leaseName, "--", "j", "power", "on"],
        { timeoutMs: 60_000 },
      );
      return result.code === 0;
    }, 45_000);
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
    assert.deepEqual(
      (JSON.parse(registered.stdout) as { name: string }[]).map((e) => e.name),
      ["bench1"],
    );
    assertExit(await jmp(["delete", "leases", "--client-config", alice, leaseName]), 0);
  } finally {
    await exporter.stop("SIGKILL");
    await restarted?.stop();
    await controller.stop();
  }
});

Deno.test("etcd: with its etcd gone, a write fails in one line and the controller still stops", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`, {
    store: cluster.storeUrl,
  });
  try {
    await cluster.kill(0);
    const created = await jmp([
      "admin",
      "create",
      "client",
      "alice",
      "--admin-config",
      controller.adminConfig,
      "--unsafe",
      "--out",
      `${dir.path}/alice.yaml`,
    ], { timeoutMs: 60_000 });
    assert.notEqual(created.code, 0, "created a client with etcd gone");
    assert.equal(created.timedOut, false, "jmp admin create client hung with etcd gone");
    assertNoStackTrace(created);
    assertOutput(created, "stderr", "etcd write failed (http://127.0.0.1:");
    assert.equal(created.stderr.trim().split("\n").length, 1, `one line, got:\n${created.stderr}`);
    const status = await controller.stop("SIGTERM");
    assert.equal(status.code, 143, `not stopped by SIGTERM:\n${controller.stderr()}`);
  } finally {
    await controller.stop("SIGKILL");
  }
});

Deno.test("etcd: a state dir without keys over an etcd holding state is refused, keys not made", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const first = await startController(`${dir.path}/first`, { store: cluster.storeUrl });
  try {
    await makeClient(first.adminConfig, dir.path, "alice");
  } finally {
    await first.stop();
  }
  const refusal = await refused(cluster.storeUrl, `${dir.path}/second`);
  assertOutput(
    refusal,
    "stderr",
    `${cluster.storeUrl} holds state but ${dir.path}/second/keys.json is missing`,
  );
  assert.equal(
    await Deno.stat(`${dir.path}/second/keys.json`).then(() => true, () => false),
    false,
    "new keys were made anyway (a second start would then pass)",
  );
});
