/**
 * A controller on a 3-member etcd cluster (every process started by the test) whose etcd leader is
 * killed with SIGKILL in the middle of a lease: the controller keeps serving from its cache, the
 * lease stays usable, writes resume once the two survivors elect a leader, and the next client
 * gets the exporter, which is never granted twice. Prints the time to recover.
 */
import assert from "node:assert/strict";
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { assertExit, assertOutput, jmp, tempDir } from "./_helpers.ts";
import { getLeases, readyState, until, untilExporter } from "./_distributed.ts";
import { faultLab, holdLease, report, stopQuietly, stopwatch } from "./_faults.ts";

Deno.test("etcd: the etcd leader killed -9 mid-lease; the controller keeps serving", async () => {
  await using cluster = await EtcdCluster.start(3);
  await using dir = await tempDir();
  const { controller, alice, bob, startExporter } = await faultLab(dir.path, {
    store: cluster.storeUrl,
  });
  await using exporter = startExporter();
  try {
    await untilExporter(alice, "bench1");
    const lease = await holdLease(alice);
    await untilExporter(alice, "bench1", "LEASE_READY");

    const leader = await cluster.leader();
    await cluster.kill(leader);
    const watch = stopwatch();

    // reads come from the controller's cache, the tunnel from its router: no etcd needed
    const used = await jmp(
      ["shell", "--client-config", alice, "--lease", lease, "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(used, 0);
    report("lease used after the etcd leader was killed", watch.lap());

    // writes wait for the survivors' election (a request already sent to a follower that forwarded
    // it to the dead leader times out on etcd's side first, then is retried)
    assertExit(await jmp(["delete", "leases", "--client-config", alice, lease]), 0);
    report("lease released (an etcd write) after the leader was killed", watch.lap());
    const next = await jmp(
      ["shell", "--client-config", bob, "-l", "board=virt", "--", "j", "power", "on"],
      { timeoutMs: 60_000 },
    );
    assertExit(next, 0);
    assertOutput(next, "stderr", "acquired: exporter bench1");
    report("time to recover: next lease granted and used", watch.lap());

    await until("both leases to show ended", async () => {
      const all = [...await getLeases(alice, true), ...await getLeases(bob, true)];
      return all.length === 2 && all.every((l) => readyState(l).startsWith("False/"));
    });
    const all = [...await getLeases(alice, true), ...await getLeases(bob, true)];
    assert.deepEqual(all.map((l) => l.exporter), ["bench1", "bench1"]);
    // never both at once: bob's began after alice's ended
    const [first, second] = all.sort((x, y) =>
      Date.parse(x.effectiveBeginTime!) - Date.parse(y.effectiveBeginTime!)
    );
    assert.ok(
      Date.parse(second!.effectiveBeginTime!) >= Date.parse(first!.effectiveEndTime!),
      `bench1 granted twice at once: ${JSON.stringify(all)}`,
    );
    assert.equal(await cluster.leader().then((i) => i !== leader), true, "a new leader");
  } finally {
    await exporter.stop("SIGKILL");
    await stopQuietly(controller);
  }
});
