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
  until,
  untilExporter,
} from "./_distributed.ts";
import { holdLease } from "./_faults.ts";
import { startPrometheus } from "./_prometheus.ts";
import { startLeaderAndFollower } from "./_replicas.ts";

Deno.test("etcd replicas: prometheus scrapes both, and their lease counts match the lab", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const store = `${cluster.storeUrl}/metrics`;
  const replicas: ControllerProcess[] = [];
  const [metricsA, metricsB] = [`127.0.0.1:${freePort()}`, `127.0.0.1:${freePort()}`];
  const metrics = [metricsA, metricsB];
  let exporter: ReturnType<typeof spawnJmp> | undefined;
  try {
    const { leader, follower } = await startLeaderAndFollower(
      store,
      [`${dir.path}/a`, `${dir.path}/b`],
      replicas,
      [{ metricsAddress: metricsA }, { metricsAddress: metricsB }],
    );

    const exporterConfig = await makeExporter(leader.adminConfig, dir.path, "bench1", [
      "board=virt",
    ]);
    const alice = await makeClient(leader.adminConfig, dir.path, "alice");
    const bob = await makeClient(follower.adminConfig, dir.path, "bob");
    exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    await untilExporter(alice, "bench1");

    await using prometheus = await startPrometheus(metrics);
    await prometheus.targetsUp();
    const granted = `sum(jumpstarter_lease_acquisitions_total{result="success"})`;
    const activeLeases = async (count: string) => {
      for (const target of metrics) {
        const series = `jumpstarter_leases_active{instance="${target}"}`;
        await prometheus.until(`${target}'s active leases`, series, count);
      }
    };
    await activeLeases("0");

    // bob, a client of the follower, takes the board (the leader grants it) and gives it back;
    // then alice, a client of the leader, takes it: a grant each, counted once over both replicas
    const takers = [{ name: "bob", client: bob }, { name: "alice", client: alice }];
    for (const [index, { name, client }] of takers.entries()) {
      const lease = await holdLease(client, "5m");
      await until(
        `${name}'s lease to be ready`,
        async () =>
          (await getLeases(client)).some((l) => l.name === lease && readyState(l) === "True/Ready"),
      );
      await activeLeases("1");
      await prometheus.until("the grants over both replicas", granted, String(index + 1));
      if (index === 0) {
        assertExit(await jmp(["delete", "leases", "--client-config", client, lease]), 0);
        await activeLeases("0");
      }
    }
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
