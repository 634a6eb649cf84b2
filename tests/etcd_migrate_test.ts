/**
 * `jmp-controller export` / `import` through the CLI: a file journal exported, imported into a
 * real etcd, exported from there and imported into a fresh file journal comes back identical;
 * a non-empty target, a bad export and a missing store are refused in one line; a live lab moved
 * from its file journal to etcd keeps its active lease.
 */
import assert from "node:assert/strict";
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { FileStore } from "../controller/store/file_store.ts";
import { client, exporter, lease } from "../controller/store/testing.ts";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  jmp,
  run,
  type RunResult,
  tempDir,
} from "./_helpers.ts";
import {
  controllerArgs,
  freePort,
  getLeases,
  readyState,
  startController,
  STARTUP_MS,
  until,
  untilExporter,
} from "./_distributed.ts";
import { faultLab, holdLease, stopQuietly } from "./_faults.ts";

function controllerCli(args: string[]): Promise<RunResult> {
  return run(
    Deno.execPath(),
    controllerArgs([...args]),
    { timeoutMs: STARTUP_MS },
  );
}

async function refusedInOneLine(args: string[], why: string): Promise<void> {
  const result = await controllerCli(args);
  assertExit(result, 1);
  assertNoStackTrace(result);
  assert.equal(result.stderr.trim().split("\n").length, 1, `one line, got:\n${result.stderr}`);
  assertOutput(result, "stderr", why);
}

async function fill(dir: string): Promise<void> {
  const store = await FileStore.open(dir);
  try {
    await store.clients.put(client("alice"));
    await store.clients.put(client("bob", "lab2"));
    await store.exporters.put(exporter("e1", { board: "rpi4" }));
    for (let i = 0; i < 5; i++) await store.nextSequence();
    await store.leases.put({ ...lease("l1", 5), exporter: "e1" });
    await store.waiters.put({ namespace: "default", name: "l1", patienceMs: 30_000 });
  } finally {
    await store.close();
  }
}

Deno.test("etcd: export and import move a store file journal -> etcd -> file journal", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const [a, b] = [`${dir.path}/a`, `${dir.path}/b`];
  const etcd = `${cluster.storeUrl}/migrated`;
  await fill(`${a}/store`);

  const fromFile = await controllerCli(["export", "--state-dir", a, "-o", `${dir.path}/1.json`]);
  assertExit(fromFile, 0);
  const imported = await controllerCli(["import", `${dir.path}/1.json`, "--store", etcd]);
  assertExit(imported, 0);
  assertOutput(
    imported,
    "stderr",
    `imported 2 clients, 1 exporters, 1 leases, 1 waiters (sequence 5) into ${etcd}`,
  );
  await refusedInOneLine(
    ["import", `${dir.path}/1.json`, "--store", etcd],
    `${etcd} already holds 5 records: import into an empty store, or pass --replace`,
  );
  assertExit(
    await controllerCli(["import", `${dir.path}/1.json`, "--store", etcd, "--replace"]),
    0,
  );

  const fromEtcd = await controllerCli(["export", "--store", etcd]);
  assertExit(fromEtcd, 0);
  const first = JSON.parse(await Deno.readTextFile(`${dir.path}/1.json`));
  assert.deepEqual(JSON.parse(fromEtcd.stdout), first);
  assert.equal(first.sequence, 5);
  assert.equal(first.leases[0].exporter, "e1");

  await Deno.writeTextFile(`${dir.path}/2.json`, fromEtcd.stdout);
  assertExit(await controllerCli(["import", `${dir.path}/2.json`, "--state-dir", b]), 0);
  const back = await FileStore.open(`${b}/store`);
  try {
    assert.deepEqual(back.clients.list().map((c) => `${c.namespace}/${c.name}`), [
      "default/alice",
      "lab2/bob",
    ]);
    assert.deepEqual(back.exporters.get("default", "e1")?.labels, { board: "rpi4" });
    assert.equal(back.waiters.get("default", "l1")?.patienceMs, 30_000);
    assert.equal(await back.nextSequence(), 6, "the counter carries over");
  } finally {
    await back.close();
  }
});

Deno.test("etcd: export and import refuse bad input in one line", async () => {
  await using dir = await tempDir();
  await refusedInOneLine(
    ["export", "--state-dir", `${dir.path}/none`],
    `no controller store in ${dir.path}/none/store`,
  );
  const bad = `${dir.path}/bad.json`;
  await Deno.writeTextFile(bad, `{"format":"jumpstarter-controller-state","version":1}`);
  await refusedInOneLine(
    ["import", bad, "--state-dir", `${dir.path}/target`],
    `${bad}: "sequence" must be a non-negative integer`,
  );
  await Deno.writeTextFile(bad, "not json");
  await refusedInOneLine(["import", bad, "--state-dir", `${dir.path}/target`], `${bad}: not JSON`);
  await refusedInOneLine(
    ["import", bad, "--store", "etcd://x"],
    `bad etcd store URL "etcd://x"`,
  );
});

Deno.test("etcd: a live lab moved from the file journal to etcd keeps its lease", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const listen = `127.0.0.1:${freePort()}`;
  const { controller, alice, startExporter } = await faultLab(dir.path, { listen });
  const stateDir = controller.stateDir;
  let moved: Awaited<ReturnType<typeof startController>> | undefined;
  await using exporter = startExporter();
  try {
    await untilExporter(alice, "bench1");
    const lease = await holdLease(alice);
    await untilExporter(alice, "bench1", "LEASE_READY");
    assert.equal((await controller.stop("SIGTERM")).code, 143, controller.stderr());

    const exported = await controllerCli([
      "export",
      "--state-dir",
      stateDir,
      "-o",
      `${dir.path}/s.json`,
    ]);
    assertExit(exported, 0);
    assertExit(
      await controllerCli(["import", `${dir.path}/s.json`, "--store", cluster.storeUrl]),
      0,
    );
    moved = await startController(stateDir, { listen, store: cluster.storeUrl });

    const leases = await getLeases(alice);
    assert.deepEqual(leases.map((l) => [l.name, l.exporter, readyState(l)]), [
      [lease, "bench1", "True/Ready"],
    ]);
    await until("the lease to be usable through the controller on etcd", async () => {
      const result = await jmp(
        ["shell", "--client-config", alice, "--lease", lease, "--", "j", "power", "on"],
        { timeoutMs: 60_000 },
      );
      return result.code === 0;
    }, 45_000);
  } finally {
    await exporter.stop("SIGKILL");
    await stopQuietly(moved);
    await stopQuietly(controller);
  }
});
