/**
 * A real `prometheus` scrapes both `jmp-controller --store etcd://` replicas of one controller
 * (etcd, replicas, exporter and prometheus all started here), and what it reads matches the lab:
 * each replica reports the one active lease there is, whichever replica the client used, and the
 * grants counted over both replicas are the grants made, none counted twice.
 */
import assert from "node:assert/strict";
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { assertExit, jmp, spawnJmp, tempDir } from "./_helpers.ts";
import {
  type ControllerProcess,
  freePort,
  getLeases,
  makeClient,
  makeExporter,
  readyState,
  startController,
  until,
  untilExporter,
} from "./_distributed.ts";
import { holdLease } from "./_faults.ts";
import { startPrometheus } from "./_prometheus.ts";
import { copyStateDir, LEADER_LINE } from "./_replicas.ts";

Deno.test("etcd replicas: prometheus scrapes both, and their lease counts match the lab", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const store = `${cluster.storeUrl}/metrics`;
  const replicas: ControllerProcess[] = [];
  const [metricsA, metricsB] = [`127.0.0.1:${freePort()}`, `127.0.0.1:${freePort()}`];
  const metrics = [metricsA, metricsB];
  let exporter: ReturnType<typeof spawnJmp> | undefined;
  try {
    const leader = await startController(`${dir.path}/a`, { store, metricsAddress: metricsA });
    replicas.push(leader);
    await until(
      "the first replica to lead",
      () => Promise.resolve(LEADER_LINE.test(leader.stderr())),
    );
    await copyStateDir(leader.stateDir, `${dir.path}/b`);
    const follower = await startController(`${dir.path}/b`, { store, metricsAddress: metricsB });
    replicas.push(follower);

    const exporterConfig = await makeExporter(leader.adminConfig, dir.path, "bench1", [
      "board=virt",
    ]);
    const alice = await makeClient(leader.adminConfig, dir.path, "alice");
    const bob = await makeClient(follower.adminConfig, dir.path, "bob");
    exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    await untilExporter(alice, "bench1");

    await using prometheus = await startPrometheus(metrics);
    await prometheus.targetsUp();
    const activeOn = (target: string) => `jumpstarter_leases_active{instance="${target}"}`;
    const granted = `sum(jumpstarter_lease_acquisitions_total{result="success"})`;
    for (const target of metrics) {
      await prometheus.until(`${target}'s active leases`, activeOn(target), "0");
    }

    // bob, a client of the follower, takes the board: the leader grants it
    const lease = await holdLease(bob, "5m");
    await until(
      "bob's lease to be ready",
      async () =>
        (await getLeases(bob)).some((l) => l.name === lease && readyState(l) === "True/Ready"),
    );
    for (const target of metrics) {
      await prometheus.until(`${target}'s active leases`, activeOn(target), "1");
    }
    await prometheus.until("the grants over both replicas", granted, "1");

    assertExit(await jmp(["delete", "leases", "--client-config", bob, lease]), 0);
    for (const target of metrics) {
      await prometheus.until(`${target}'s active leases`, activeOn(target), "0");
    }

    // alice, a client of the leader, takes it next: two grants in all, on either replica
    const second = await holdLease(alice, "5m");
    await until(
      "alice's lease to be ready",
      async () =>
        (await getLeases(alice)).some((l) => l.name === second && readyState(l) === "True/Ready"),
    );
    for (const target of metrics) {
      await prometheus.until(`${target}'s active leases`, activeOn(target), "1");
    }
    await prometheus.until("the grants over both replicas", granted, "2");
    assert.equal(
      await prometheus.query(`count(up{job="jumpstarter"} == 1)`),
      "2",
      "both replicas scraped",
    );
  } finally {
    await exporter?.stop("SIGTERM", 15_000);
    for (const replica of replicas.reverse()) await replica.stop();
  }
});
