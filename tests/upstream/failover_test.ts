/**
 * A client config naming two controller replicas (`ipv4:A,B`, as `jmp admin create` writes it
 * with `--config-endpoint`) reads the same in upstream's Python client, which passes it to
 * grpcio: upstream HEAD's `jmp shell` leases our exporter through it (`j power read`), and again once the replica
 * it was using (the leader, first in the list) is killed with SIGKILL.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { EtcdCluster } from "../../controller/store/_testing/etcd_cluster.ts";
import {
  type ControllerProcess,
  freePort,
  makeClient,
  makeExporter,
  untilExporter,
} from "../_distributed.ts";
import { describe, run, spawnJmp, tempDir } from "../_helpers.ts";
import { report, stopwatch } from "../_faults.ts";
import { startLeaderAndFollower } from "../_replicas.ts";
import { peerEnv } from "./_lab.ts";
import { upstreamPeer } from "./_peer.ts";

fileDeadline(import.meta.url, 240_000);

Deno.test("upstream HEAD jmp shell reads an endpoint naming both replicas and fails over", async () => {
  const peer = upstreamPeer("head");
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const ports = [freePort(), freePort()];
  const target = `ipv4:127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`;
  const replica = (port: number) => ({
    listen: `127.0.0.1:${port}`,
    extraArgs: ["--config-endpoint", target],
  });
  const started: ControllerProcess[] = [];
  let exporter: ReturnType<typeof spawnJmp> | undefined;
  try {
    const { leader } = await startLeaderAndFollower(
      `${cluster.storeUrl}/upstream`,
      [`${dir.path}/a`, `${dir.path}/b`],
      started,
      [replica(ports[0]!), replica(ports[1]!)],
    );
    const exporterConfig = await makeExporter(leader.adminConfig, dir.path, "bench1", [
      "board=virt",
    ]);
    const alice = await makeClient(leader.adminConfig, dir.path, "alice");
    const config = parse(await Deno.readTextFile(alice)) as Record<string, unknown>;
    // grpcio checks the certificate against the whole list unless told which name to check
    assert.deepEqual([config.endpoint, config.grpcOptions], [
      target,
      { "grpc.ssl_target_name_override": "localhost" },
    ]);
    exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    await untilExporter(alice, "bench1");
    const upstreamShell = async () => {
      const result = await run(
        peer.jmp,
        ["shell", "--client-config", alice, "-l", "board=virt", "--", "j", "power", "read"],
        { ...peerEnv(peer), timeoutMs: 90_000 },
      );
      assert.equal(result.code, 0, describe(result));
      // upstream's jmp shell exits 0 whatever the command did: its output tells
      assert.match(result.stdout, /voltage/, describe(result));
    };
    await upstreamShell();
    await leader.stop("SIGKILL");
    const watch = stopwatch();
    await upstreamShell();
    report("upstream jmp shell, leader replica killed: lease acquired and used", watch.lap());
  } finally {
    await exporter?.stop("SIGKILL");
    for (const controller of started) await controller.stop("SIGKILL");
  }
});
