/**
 * Two etcd stores on one prefix (two controller replicas) racing: only one of two leases given
 * the same exporter at once commits, a write decided on a stale lease fails instead of undoing a
 * newer one, and an exporter released by one store can be given again by the other.
 */
import assert from "node:assert/strict";
import { waitingFor } from "../../lib/testing/deadline.ts";
import { EtcdCluster } from "./_testing/etcd_cluster.ts";
import { StoreConflictError } from "./etcd_guard.ts";
import { EtcdStore } from "./etcd_store.ts";
import { lease } from "./testing.ts";
import type { LeaseRecord } from "../model.ts";

function seen(store: EtcdStore, revision: number): Promise<void> {
  return waitingFor(
    `the watch to deliver revision ${revision}`,
    store.waitForRevision(revision),
    () => `cache at revision ${store.revision}`,
  );
}

function granted(name: string, sequence: number, exporter: string): LeaseRecord {
  return { ...lease(name, sequence), exporter, effectiveBeginTime: 1 };
}

async function twoStores(cluster: EtcdCluster, prefix: string) {
  const options = { endpoints: cluster.endpoints, prefix };
  const a = await EtcdStore.open(options);
  const b = await EtcdStore.open(options).catch(async (error) => {
    await a.close();
    throw error;
  });
  return {
    a,
    b,
    [Symbol.asyncDispose]: async () => void await Promise.all([a.close(), b.close()]),
  };
}

Deno.test("EtcdStore guard: one exporter given to two leases at once commits once", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using stores = await twoStores(cluster, "/guard1/");
  const { a, b } = stores;
  await a.leases.put(lease("l1", 1));
  await b.leases.put(lease("l2", 2));
  await seen(a, b.lastWriteRevision);
  await seen(b, a.lastWriteRevision);
  for (let round = 0; round < 5; round++) {
    const exporter = `e${round}`;
    const results = await Promise.allSettled([
      a.leases.put(granted("l1", 1, exporter)),
      b.leases.put(granted("l2", 2, exporter)),
    ]);
    const won = results.filter((r) => r.status === "fulfilled").length;
    assert.equal(won, 1, `round ${round}: ${won} stores gave ${exporter} away`);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.ok(lost.reason instanceof StoreConflictError, String(lost.reason));
    // both back to pending, each from a current cache
    await seen(a, lost.reason.revision);
    await seen(b, lost.reason.revision);
    const winner = results[0]!.status === "fulfilled" ? a : b;
    const name = winner === a ? "l1" : "l2";
    await winner.leases.put({ ...granted(name, winner === a ? 1 : 2, exporter), ended: true });
    await winner.leases.put(lease(name, winner === a ? 1 : 2));
    await seen(a, winner.lastWriteRevision);
    await seen(b, winner.lastWriteRevision);
  }
});

Deno.test("EtcdStore guard: a write from a stale cache fails, and the exporter passes on", async () => {
  await using cluster = await EtcdCluster.start(1);
  await using stores = await twoStores(cluster, "/guard2/");
  const { a, b } = stores;
  await a.leases.put(granted("l1", 1, "e1"));
  await seen(b, a.lastWriteRevision);
  await b.leases.put(lease("l2", 2));
  await seen(a, b.lastWriteRevision);
  // a ends l1 while b changes l1 from what it had (both decided on the same revision): one of
  // the two commits, the other fails, and neither is silently undone
  const ended = { ...granted("l1", 1, "e1"), ended: true };
  const changed = { ...granted("l1", 1, "e1"), duration: 5 };
  const [byA, byB] = await Promise.allSettled([a.leases.put(ended), b.leases.put(changed)]);
  assert.equal(
    [byA, byB].filter((r) => r.status === "fulfilled").length,
    1,
    `a: ${byA.status}, b: ${byB.status}`,
  );
  const lost = [byA, byB].find((r) => r.status === "rejected") as PromiseRejectedResult;
  assert.ok(lost.reason instanceof StoreConflictError, String(lost.reason));
  const winner = byA.status === "fulfilled" ? ended : changed;
  await seen(a, lost.reason.revision);
  await seen(b, lost.reason.revision);
  assert.deepEqual(a.leases.get("default", "l1"), winner);
  assert.deepEqual(b.leases.get("default", "l1"), winner);
  if (!winner.ended) {
    await b.leases.put({ ...winner, ended: true });
    await seen(a, b.lastWriteRevision);
  }
  // the exporter is free again for b's lease, and no longer for a third one on a
  await b.leases.put(granted("l2", 2, "e1"));
  await seen(a, b.lastWriteRevision);
  await assert.rejects(a.leases.put(granted("l3", 3, "e1")), /already held by lease l2/);
  assert.equal(a.leases.get("default", "l3"), undefined);
});
