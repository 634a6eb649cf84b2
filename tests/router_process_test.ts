/**
 * `jmp-controller router`, a router process beside the controller (on its etcd store): started
 * without the controller's keys.json, or with other keys, it is refused in one line; running,
 * it carries a lease's tunnels (its /metrics count the bytes, the controller's own router none),
 * and once it is killed the next connection goes through the controller's own router.
 */
import assert from "node:assert/strict";
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { generateKeyMaterial } from "../controller/auth.ts";
import {
  assertExit,
  assertNoStackTrace,
  jmp,
  run,
  type RunResult,
  spawnJmp,
  tempDir,
} from "./_helpers.ts";
import {
  controllerArgs,
  freePort,
  makeClient,
  makeExporter,
  startController,
  STARTUP_MS,
  untilExporter,
} from "./_distributed.ts";
import { routerMetric, startRouterProcess } from "./_failover.ts";
import { report, stopwatch } from "./_faults.ts";

function refusedInOneLine(result: RunResult, reason: string): void {
  assertExit(result, 1);
  assertNoStackTrace(result);
  assert.equal(result.stdout, "", "it printed an endpoint: it served");
  assert.equal(result.stderr.trim().split("\n").length, 1, `one line, got:\n${result.stderr}`);
  assert.ok(result.stderr.includes(reason), `expected "${reason}" in:\n${result.stderr}`);
}

Deno.test("a router without the replicas' keys.json, or with other keys, is refused in one line", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const store = `${cluster.storeUrl}/routers`;
  const controller = await startController(`${dir.path}/controller`, { store });
  try {
    const router = (stateDir: string) =>
      run(
        Deno.execPath(),
        controllerArgs([
          "router",
          "--state-dir",
          stateDir,
          "--listen",
          "127.0.0.1:0",
          "--store",
          store,
        ]),
        { timeoutMs: STARTUP_MS },
      );
    await Deno.mkdir(`${dir.path}/bare`);
    refusedInOneLine(
      await router(`${dir.path}/bare`),
      `${dir.path}/bare/keys.json is missing: a router verifies the router tokens`,
    );
    await Deno.mkdir(`${dir.path}/other`);
    const other = await generateKeyMaterial("jmp-controller");
    await Deno.writeTextFile(`${dir.path}/other/keys.json`, JSON.stringify(other));
    refusedInOneLine(
      await router(`${dir.path}/other`),
      "the keys.json of this router differ from those of the replicas",
    );
  } finally {
    await controller.stop();
  }
});

Deno.test("a lease's tunnels go through the router process, then the controller's own router", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const store = `${cluster.storeUrl}/routers`;
  const controllerMetrics = `127.0.0.1:${freePort()}`;
  const controller = await startController(`${dir.path}/controller`, {
    store,
    metricsAddress: controllerMetrics,
  });
  const router = await startRouterProcess(controller, `${dir.path}/router`, store);
  const ownRouter = { process: controller, metrics: controllerMetrics };
  const bytes = "jumpstarter_router_bytes_total";
  let exporter: ReturnType<typeof spawnJmp> | undefined;
  try {
    const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
      "board=virt",
    ]);
    const alice = await makeClient(controller.adminConfig, dir.path, "alice");
    exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    await untilExporter(alice, "bench1");
    const shell = () =>
      jmp(["shell", "--client-config", alice, "-l", "board=virt", "--", "j", "power", "on"], {
        timeoutMs: 60_000,
      });
    assertExit(await shell(), 0);
    assert.ok(await routerMetric(router, bytes) > 0, "the router process carried nothing");
    assert.equal(await routerMetric(ownRouter, bytes), 0, "the controller routed it itself");

    await router.process.stop("SIGKILL");
    const watch = stopwatch();
    assertExit(await shell(), 0);
    report("router process killed: a new lease and jmp shell work", watch.lap());
    assert.ok(await routerMetric(ownRouter, bytes) > 0, "the controller's own router took over");
  } finally {
    await exporter?.stop("SIGKILL");
    await router.process.stop("SIGKILL");
    await controller.stop();
  }
});
