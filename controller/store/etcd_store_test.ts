/**
 * What the etcd store adds to the shared contract (store_contract_test.ts): the state survives a
 * reopen, a second store on the same prefix sees the first one's writes through its watch, the
 * counter stays unique across stores, a bad URL or an unreachable etcd is one clear line, a lost
 * watch reloads, and one of three members down does not stop opening or writing.
 */
import assert from "node:assert/strict";
import { waitingFor } from "../../lib/testing/deadline.ts";
import { EtcdCluster } from "./_testing/etcd_cluster.ts";
import { parseEtcdUrl } from "./etcd_keys.ts";
import { EtcdStore } from "./etcd_store.ts";
import { client, exporter, lease } from "./testing.ts";
import { StoreError } from "./types.ts";

function seen(store: EtcdStore, revision: number): Promise<void> {
  return waitingFor(
    `the watch to deliver revision ${revision}`,
    store.waitForRevision(revision),
    () => `cache at revision ${store.revision}`,
  );
}

Deno.test("EtcdStore: the state comes back on reopen", async () => {
  await using cluster = await EtcdCluster.start(1);
  const options = { endpoints: cluster.endpoints, prefix: "/reopen/" };
  const first = await EtcdStore.open(options);
  await first.clients.put(client("alice"));
  await first.exporters.put(exporter("e1", { board: "rpi4" }));
  await first.leases.put(lease("l1", await first.nextSequence()));
  await first.leases.put(lease("gone", await first.nextSequence()));
  assert.equal(await first.leases.delete("default", "gone"), true);
  await first.close();

  const second = await EtcdStore.open(options);
  try {
    assert.deepEqual(second.clients.list(), [client("alice")]);
    assert.deepEqual(second.exporters.get("default", "e1"), exporter("e1", { board: "rpi4" }));
    assert.deepEqual(second.leases.list().map((l) => l.name), ["l1"]);
    assert.equal(await second.nextSequence(), 3);
  } finally {
    await second.close();
  }
  // another prefix is another store
  const other = await EtcdStore.open({ ...options, prefix: "/elsewhere/" });
  try {
    assert.deepEqual(other.clients.list(), []);
  } finally {
    await other.close();
  }
});

Deno.test("EtcdStore: a second store on the prefix sees writes through its watch", async () => {
  await using cluster = await EtcdCluster.start(1);
  const options = { endpoints: cluster.endpoints, prefix: "/shared/" };
  const a = await EtcdStore.open(options);
  const b = await EtcdStore.open(options);
  try {
    await a.exporters.put(exporter("e1"));
    await seen(b, a.lastWriteRevision);
    assert.deepEqual(b.exporters.get("default", "e1"), exporter("e1"));

    await b.exporters.put({ ...exporter("e1"), status: "LeaseReady" });
    await seen(a, b.lastWriteRevision);
    assert.equal(a.exporters.get("default", "e1")?.status, "LeaseReady");

    assert.equal(await a.exporters.delete("default", "e1"), true);
    await seen(b, a.lastWriteRevision);
    assert.equal(b.exporters.get("default", "e1"), undefined);
    assert.equal(await b.exporters.delete("default", "e1"), false);

    // the counter is a compare-and-swap: two stores never hand out one value
    const values = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).nextSequence()),
    );
    assert.deepEqual(
      [...values].sort((x, y) => x - y),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("EtcdStore: an unreachable etcd fails opening in one line naming it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close(); // nothing listens there now
  const endpoint = `http://127.0.0.1:${port}`;
  const error = await waitingFor(
    "opening a store on a closed port to fail",
    EtcdStore.open({ endpoints: [endpoint], prefix: "/x/", connectTimeoutMs: 1500 }).then(
      () => assert.fail("opened a store on a closed port"),
      (e: unknown) => e,
    ),
  );
  assert.ok(error instanceof StoreError, String(error));
  assert.match(error.message, new RegExp(`^etcd at ${endpoint} is unreachable`));
  assert.doesNotMatch(error.message, /\n/);
});

Deno.test("parseEtcdUrl: endpoints, prefix and one-line errors", () => {
  assert.deepEqual(parseEtcdUrl("etcd://localhost:2379"), {
    endpoints: ["http://localhost:2379"],
    prefix: "/jumpstarter/",
  });
  assert.deepEqual(parseEtcdUrl("etcd://10.0.0.1:2379,[::1]:2380/lab/a/"), {
    endpoints: ["http://10.0.0.1:2379", "http://[::1]:2380"],
    prefix: "/lab/a/",
  });
  const bad: [string, RegExp][] = [
    ["http://h:2379", /must start with etcd:\/\//],
    ["etcd://", /no host/],
    ["etcd://host", /"host" is not host:port/],
    ["etcd://h:1,h:99999", /port 99999 of "h:99999" is out of range/],
    ["etcd://h:1,,h:2", /"" is not host:port/],
  ];
  for (const [url, why] of bad) {
    assert.throws(() => parseEtcdUrl(url), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.match(e.message, why);
      assert.ok(e.message.startsWith(`bad etcd store URL "${url}"`), e.message);
      return true;
    });
  }
});

Deno.test("EtcdStore: a watch etcd cancels (compacted away) reloads the prefix", async () => {
  await using cluster = await EtcdCluster.start(3);
  // a talks to member 0 only; b to the other two
  const a = await EtcdStore.open({ endpoints: [cluster.endpoints[0]!], prefix: "/c/" });
  const b = await EtcdStore.open({ endpoints: cluster.endpoints.slice(1), prefix: "/c/" });
  try {
    await b.exporters.put(exporter("stays"));
    await b.exporters.put(exporter("goes"));
    await seen(a, b.lastWriteRevision);
    await cluster.kill(0);
    // while a cannot watch: changes, then a compaction past them
    await b.exporters.put(exporter("new"));
    assert.equal(await b.exporters.delete("default", "goes"), true);
    await b.client.kv.compact({ revision: String(b.lastWriteRevision), physical: true });
    await cluster.startMember(0);
    await seen(a, b.lastWriteRevision);
    assert.deepEqual(a.exporters.list().map((e) => e.name), ["new", "stays"]);
    assert.equal(a.reloads, 1, "the watch was not cancelled: this test did not test the reload");
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("EtcdStore: opens and writes with one of three members down", async () => {
  await using cluster = await EtcdCluster.start(3);
  await cluster.kill(0); // the first endpoint listed
  const store = await EtcdStore.open({ endpoints: cluster.endpoints, prefix: "/down/" });
  try {
    for (let i = 0; i < 10; i++) await store.clients.put(client(`c${i}`));
    assert.equal(await store.nextSequence(), 1);
    assert.equal(store.clients.list().length, 10);
  } finally {
    await store.close();
  }
});
