/**
 * Two `jmp-controller --store etcd://` replicas on one etcd (all started by the test) act as one
 * controller: an exporter connected to the follower serves a `jmp shell` whose client talks to
 * the leader (Dial ticket carried through etcd) and one whose client talks to the follower (lease
 * created there, granted by the leader through the watch); then the leader is
 * killed with SIGKILL in the middle of an active lease with another client queued behind it, and
 * the survivor takes over leadership (time printed), expires the lease and grants the queued one,
 * which works; no exporter is ever held by two leases at once (checked on etcd's records). A
 * replica whose keys.json differs from the others' (tokens would not verify) is refused.
 */
import assert from "node:assert/strict";
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { EtcdStore } from "../controller/store/etcd_store.ts";
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
  type ControllerProcess,
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
import { assertNoDoubleGrant, LEADER_LINE, startLeaderAndFollower } from "./_replicas.ts";

Deno.test("etcd replicas: a shell across replicas, and the leader killed -9 mid-lease", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const store = `${cluster.storeUrl}/replicas`;
  const stopped: ControllerProcess[] = [];
  let exporter: ReturnType<typeof spawnJmp> | undefined;
  try {
    const { leader, follower } = await startLeaderAndFollower(
      store,
      [`${dir.path}/leader`, `${dir.path}/follower`],
      stopped,
    );

    // the exporter on the follower; alice on the leader, bob on the follower
    const exporterConfig = await makeExporter(follower.adminConfig, dir.path, "bench1", [
      "board=virt",
    ]);
    const alice = await makeClient(leader.adminConfig, dir.path, "alice");
    const bob = await makeClient(follower.adminConfig, dir.path, "bob");
    exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    await untilExporter(alice, "bench1");

    const shell = await jmp(
      ["shell", "--client-config", alice, "-l", "board=virt", "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(shell, 0);
    // and a lease created on the follower, which leaves granting it to the leader
    const followerShell = await jmp(
      ["shell", "--client-config", bob, "-l", "board=virt", "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(followerShell, 0);

    // the same exporter credentials run again against the other replica are refused there
    const config = await Deno.readTextFile(exporterConfig);
    const onLeader = `${dir.path}/bench1-on-leader.yaml`;
    await Deno.writeTextFile(
      onLeader,
      config.replace(follower.endpoint, leader.endpoint),
    );
    assert.notEqual(config, await Deno.readTextFile(onLeader), "endpoint not found in config");
    await using second = spawnJmp(["run", "--exporter-config", onLeader]);
    const refused = await second.wait(30_000);
    assertExit(refused, 1);
    assert.match(
      refused.stderr,
      /exporter default\/bench1 is already connected from another process/,
    );

    // alice holds the board (short lease), bob queues behind her on the other replica
    const aliceLease = await holdLease(alice, "20s");
    await until(
      "alice's lease to be ready",
      async () => (await getLeases(alice)).some((l) => readyState(l) === "True/Ready"),
    );
    const bobLease = await holdLease(bob, "5m");
    const bobState = async () =>
      readyState((await getLeases(bob)).find((l) => l.name === bobLease)!);
    assert.notEqual(await bobState(), "True/Ready", "bob was given the board alice holds");

    const killedAt = Date.now();
    const killed = await leader.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL", leader.stderr());
    await until(
      "the follower to take over",
      () => Promise.resolve(LEADER_LINE.test(follower.stderr())),
      30_000,
    );
    const takeover = Date.now() - killedAt;
    console.log(`leader killed -9: the other replica led ${takeover} ms later`);

    await until(
      "bob's queued lease to be granted",
      async () => (await bobState()) === "True/Ready",
      45_000,
    );
    console.log(`bob's queued lease granted ${Date.now() - killedAt} ms after the kill`);
    const bobShell = await jmp(
      ["shell", "--client-config", bob, "--lease", bobLease, "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(bobShell, 0);

    const records = await EtcdStore.open({ endpoints: cluster.endpoints, prefix: "/replicas/" });
    try {
      const leases = records.leases.list();
      assert.ok(leases.some((l) => l.name === aliceLease && l.ended), "alice's lease did not end");
      assertNoDoubleGrant(leases);
    } finally {
      await records.close();
    }
    assertExit(await jmp(["delete", "leases", "--client-config", bob, bobLease]), 0);
  } finally {
    await exporter?.stop("SIGKILL");
    for (const controller of stopped) await controller.stop();
  }
});

Deno.test("etcd replicas: a replica with other keys than the first one's is refused in one line", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using dir = await tempDir();
  const store = `${cluster.storeUrl}/keys`;
  const first = await startController(`${dir.path}/first`, { store });
  try {
    // no records yet, so the state-dir check lets new keys be made: the replica check must not
    const other = await run(
      Deno.execPath(),
      controllerArgs([
        "--state-dir",
        `${dir.path}/other`,
        "--listen",
        "127.0.0.1:0",
        "--store",
        store,
      ]),
      { timeoutMs: STARTUP_MS },
    );
    assertExit(other, 1);
    assertNoStackTrace(other);
    assertOutput(
      other,
      "stderr",
      "the keys.json of this controller differ from those of the replicas",
    );
    assert.equal(other.stderr.trim().split("\n").length, 1, `one line, got:\n${other.stderr}`);
    assert.equal(other.stdout, "", "it printed an endpoint: it served");
  } finally {
    await first.stop();
  }
});
