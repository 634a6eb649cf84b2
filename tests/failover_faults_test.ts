/**
 * The combined fault suite (issue 15). A 3-member etcd cluster, two controller replicas (every
 * config names both: `ipv4:A,B`, the leader first), two router processes, exporter bench1 and
 * three clients, all started here. alice holds bench1 with a byte stream running through the
 * lease (`j echo forward-tcp`, every byte checked), bob and then carol wait in the queue behind
 * her. One after the other, with SIGKILL: the leader controller (everyone was connected to it),
 * the etcd leader, and the router carrying alice's stream. After each: alice's lease is still
 * her one lease on bench1 (etcd's records), the stream goes on, or breaks and works again on
 * reconnecting, a new connection through the lease works, bob and carol still wait, in order;
 * the time to recover is printed (`[fault] ...`). Then alice lets go, and bob, then carol, get
 * bench1: no lease lost or doubled, no exporter granted twice, the queue order kept.
 */
import assert from "node:assert/strict";
import {
  clientIdentity,
  connectController,
  dialWithRetry,
  getLease,
  waitForLease,
} from "@jumpstarter/lib/client";
import { loadClientConfig } from "@jumpstarter/lib/config";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { assertExit, type BackgroundJmp, jmp, spawnJmp, tempDir, withTimeout } from "./_helpers.ts";
import { powerOnArgs, until } from "./_distributed.ts";
import { report, stopwatch } from "./_faults.ts";
import { assertNoDoubleGrant, LEADER_LINE } from "./_replicas.ts";
import { EchoPump, type FailoverLab, routerMetric, startFailoverLab } from "./_failover.ts";

fileDeadline(import.meta.url, 480_000);

/** How long a recovery may take before the test fails (the machine is shared and busy). */
const RECOVERY_MS = 60_000;

/** A `jmp shell` of `client` waiting in the queue for bench1, then powering it on. */
function queueShell(client: string): BackgroundJmp & { exited: () => boolean } {
  const shell = spawnJmp(powerOnArgs(client));
  let exited = false;
  shell.process.status.then(() => exited = true);
  return Object.assign(shell, { exited: () => exited });
}

/** No lease lost or doubled: alice's one lease holds bench1, bob's then carol's wait. */
async function assertLeasesKept(lab: FailoverLab, aliceLease: string, after: string) {
  const leases = await lab.leases();
  const of = (client: string) => leases.filter((l) => l.client === client);
  const seen = JSON.stringify(
    leases.map(({ name, client, exporter, ended }) => ({ name, client, exporter, ended })),
  );
  assert.deepEqual(
    of("alice").map((l) => [l.name, l.exporter, l.ended]),
    [[aliceLease, "bench1", false]],
    `${after}: alice's lease is not her one active lease on bench1: ${seen}`,
  );
  const [bob, carol] = [of("bob"), of("carol")];
  assert.ok(
    bob.length === 1 && carol.length === 1,
    `${after}: one lease each for bob and carol: ${seen}`,
  );
  for (const queued of [bob[0]!, carol[0]!]) {
    assert.ok(
      !queued.ended && !queued.exporter,
      `${after}: ${queued.client}'s lease left the queue: ${seen}`,
    );
  }
  assert.ok(bob[0]!.sequence < carol[0]!.sequence, `${after}: queue order: ${seen}`);
  assertNoDoubleGrant(leases);
}

Deno.test("failover: kill -9 the leader controller, an etcd member and a router mid-lease", async (t) => {
  await using dir = await tempDir();
  await using lab = await startFailoverLab(dir.path, ["alice", "bob", "carol"]);
  const { alice, bob, carol } = lab.clients as Record<string, string>;
  await using aliceShell = spawnJmp([
    "shell",
    "--client-config",
    alice!,
    "-l",
    "board=virt",
    "--duration",
    "10m",
    "--",
    "j",
    "echo",
    "forward-tcp",
    "0",
  ]);
  const forward = await withTimeout(aliceShell.firstLine, RECOVERY_MS, "alice's forwarded port");
  const pump = new EchoPump(forward);
  try {
    await withTimeout(pump.nextChunk(), RECOVERY_MS, "the byte stream to flow");
    const aliceLease = (await lab.leases()).find((l) => l.client === "alice")!.name;
    await using bobShell = queueShell(bob!);
    await until(
      "bob's lease to queue",
      async () => (await lab.leases()).some((l) => l.client === "bob"),
    );
    await using carolShell = queueShell(carol!);
    await until(
      "carol's lease to queue",
      async () => (await lab.leases()).some((l) => l.client === "carol"),
    );
    await assertLeasesKept(lab, aliceLease, "before the kills");

    /** A new `jmp shell` through alice's lease (a new Dial) works; the time from `watch`'s start. */
    const newConnection = async (watch: { lap(): number }) => {
      const shell = await jmp(
        ["shell", "--client-config", alice!, "--lease", aliceLease, "--", "j", "power", "on"],
        { timeoutMs: RECOVERY_MS },
      );
      assertExit(shell, 0);
      return watch.lap();
    };
    report(
      "before any kill: a new jmp shell through the lease works",
      await newConnection(stopwatch()),
    );
    // alice's own connection, as jmp shell holds it, made before the kills: its channel is on the
    // leader, and must fail over by itself
    using connection = await connectController(clientIdentity(await loadClientConfig(alice!)));
    await getLease(connection, aliceLease);
    /** Lease polls and Dials of alice's connection work again (library retries, as jmp shell's). */
    const controlPlane = (watch: { lap(): number }) =>
      Promise.all([
        waitForLease(connection, aliceLease, { retryTimeoutMs: RECOVERY_MS }).then(() =>
          watch.lap()
        ),
        dialWithRetry(connection, aliceLease, RECOVERY_MS).then(() => watch.lap()),
      ]);
    /** The stream went on without breaking; the waiting clients still wait. */
    const assertClientsKept = async (after: string, breaks: number) => {
      await withTimeout(pump.nextChunk(), RECOVERY_MS, `the byte stream to flow ${after}`);
      assert.equal(
        pump.breaks.length,
        breaks,
        `the byte stream broke ${after}: ${pump.describe()}`,
      );
      assert.deepEqual(pump.corrupted, [], pump.describe());
      for (const [name, shell] of [["bob", bobShell], ["carol", carolShell]] as const) {
        assert.ok(
          !shell.exited(),
          `${name}'s waiting shell ended ${after}: ${JSON.stringify(shell.printed())}`,
        );
      }
      await assertLeasesKept(lab, aliceLease, after);
    };

    await t.step(
      "kill -9 the leader controller, which every client and the exporter use",
      async () => {
        const breaks = pump.breaks.length;
        pump.resetPause();
        const watch = stopwatch();
        assert.equal((await lab.leader.stop("SIGKILL")).signal, "SIGKILL");
        const leads = until(
          "the follower to lead",
          () => Promise.resolve(LEADER_LINE.test(lab.follower.stderr())),
          RECOVERY_MS,
        )
          .then(() => watch.lap());
        const [[polled, dialled], shell, led] = await Promise.all([
          controlPlane(watch),
          newConnection(watch),
          leads,
        ]);
        report("leader controller killed: alice's lease poll (GetLease) works again", polled);
        report("leader controller killed: alice's Dial reaches the exporter again", dialled);
        report("leader controller killed: a new jmp shell through the lease works", shell);
        report("leader controller killed: the other replica leads", led);
        await assertClientsKept("after the leader controller was killed", breaks);
        report("leader controller killed: longest pause in the byte stream", pump.longestPauseMs);
      },
    );

    await t.step("kill -9 the etcd leader", async () => {
      const breaks = pump.breaks.length;
      pump.resetPause();
      const member = await lab.cluster.leader();
      const watch = stopwatch();
      await lab.cluster.kill(member);
      // a write through the surviving replica, once the two etcd members left elect a leader
      const write = jmp(
        [
          "admin",
          "create",
          "client",
          "dave",
          "--admin-config",
          lab.follower.adminConfig,
          "--out",
          `${dir.path}/dave.yaml`,
        ],
        { timeoutMs: RECOVERY_MS },
      ).then((result) => (assertExit(result, 0), watch.lap()));
      const [[polled, dialled], shell, wrote] = await Promise.all([
        controlPlane(watch),
        newConnection(watch),
        write,
      ]);
      report("etcd leader killed: alice's lease poll works", polled);
      report("etcd leader killed: alice's Dial reaches the exporter", dialled);
      report("etcd leader killed: a new jmp shell through the lease works", shell);
      report("etcd leader killed: the controller writes to etcd again (jmp admin create)", wrote);
      await assertClientsKept("after the etcd leader was killed", breaks);
      report("etcd leader killed: longest pause in the byte stream", pump.longestPauseMs);
    });

    await t.step("kill -9 the router carrying the byte stream", async () => {
      const sessions = await Promise.all(
        lab.routers.map((r) => routerMetric(r, "jumpstarter_active_sessions")),
      );
      const carrying = sessions.findIndex((n) => n === Math.max(...sessions));
      assert.ok(sessions[carrying]! > 0, `no router carries the stream: sessions ${sessions}`);
      const [router, other] = [lab.routers[carrying]!, lab.routers[1 - carrying]!];
      const bytesBefore = await routerMetric(other, "jumpstarter_router_bytes_total");
      const breaks = pump.breaks.length;
      const [watch, killedAt] = [stopwatch(), performance.now()];
      await router.process.stop("SIGKILL");
      await until(
        "the byte stream to break",
        () => Promise.resolve(pump.breaks.length > breaks),
        RECOVERY_MS,
      );
      const flowing = await withTimeout(
        pump.nextChunk(),
        RECOVERY_MS,
        "the byte stream to flow again",
      );
      report("router killed: the byte stream flows again after reconnecting", flowing - killedAt);
      console.log(`  the stream broke with: ${pump.breaks.slice(breaks).join("; ")}`);
      // j says which connection broke and why, and goes on forwarding the next one
      const said = /^echo: .+$/m.exec(aliceShell.printed().stderr)?.[0];
      assert.ok(said, `j printed no error for the broken stream: ${aliceShell.printed().stderr}`);
      console.log(`  j said: ${said}`);
      report("router killed: a new connection through the lease works", await newConnection(watch));
      assert.ok(
        await routerMetric(other, "jumpstarter_router_bytes_total") > bytesBefore,
        "the surviving router carries nothing",
      );
      await assertClientsKept("after the router was killed", pump.breaks.length);
    });

    await t.step("alice lets go: bob, then carol, get bench1 in queue order", async () => {
      await pump.stop();
      const watch = stopwatch();
      assertExit(await jmp(["delete", "leases", "--client-config", alice!, aliceLease]), 0);
      for (const [name, shell] of [["bob", bobShell], ["carol", carolShell]] as const) {
        assertExit(await shell.wait(RECOVERY_MS), 0);
        report(`queue: ${name} got bench1 and used it`, watch.lap());
      }
      const leases = await lab.leases();
      assertNoDoubleGrant(leases);
      const order = ["alice", "bob", "carol"].map((client) => {
        const mine = leases.filter((l) => l.client === client);
        assert.equal(mine.length, 1, `${client}: ${JSON.stringify(mine)}`);
        assert.ok(mine[0]!.exporter === "bench1" && mine[0]!.ended, JSON.stringify(mine[0]));
        return mine[0]!;
      });
      for (const [earlier, later] of [[order[0]!, order[1]!], [order[1]!, order[2]!]] as const) {
        assert.ok(
          later.effectiveBeginTime! >= earlier.effectiveEndTime!,
          `${later.client} got bench1 before ${earlier.client} let go: ${JSON.stringify(order)}`,
        );
      }
    });
  } finally {
    await pump.stop();
  }
});
