/**
 * A replica's write and another replica's later change of the same record can reach it in either
 * order: the watch may bring the later change before etcd's answer to the write. The cache must
 * end with the later change either way (a cache that went back to the write's record left a lease
 * queued for good, as tests/etcd_replicas_test.ts saw under load).
 */
import assert from "node:assert/strict";
import { waitingFor } from "../../lib/testing/deadline.ts";
import { EtcdCluster } from "./_testing/etcd_cluster.ts";
import { EtcdStore } from "./etcd_store.ts";
import { exporter } from "./testing.ts";

Deno.test("EtcdStore: a write answered after the watch brought a later change keeps the later one", async () => {
  await using cluster = await EtcdCluster.start(1);
  const options = { endpoints: cluster.endpoints, prefix: "/race/" };
  await using a = await openStore(options);
  await using b = await openStore(options);
  {
    // a's next write is answered only once b changed the same record and a's watch brought it
    const kv = a.client.kv;
    const txn = kv.txn.bind(kv);
    let raced = false;
    kv.txn = (async (request: Parameters<typeof txn>[0]) => {
      const response = await txn(request);
      if (!raced) {
        raced = true;
        await waitingFor("b's write", b.exporters.put(exporter("e1", { by: "b" })));
        await waitingFor(
          "a's watch to bring b's write",
          a.waitForRevision(b.lastWriteRevision),
          () => `a's cache at revision ${a.revision}`,
        );
      }
      return response;
    }) as typeof kv.txn;
    await waitingFor("a's write", a.exporters.put(exporter("e1", { by: "a" })));
    assert.equal(raced, true);
    assert.deepEqual(a.exporters.get("default", "e1")?.labels, { by: "b" });
    // and a's next write of it still goes through, on top of b's
    await a.exporters.put(exporter("e1", { by: "a again" }));
    assert.deepEqual(a.exporters.get("default", "e1")?.labels, { by: "a again" });
  }
});

/** A store closed when the test's scope ends, whatever happens in it. */
async function openStore(options: Parameters<typeof EtcdStore.open>[0]) {
  const store = await EtcdStore.open(options);
  return Object.assign(store, { [Symbol.asyncDispose]: () => store.close() });
}
