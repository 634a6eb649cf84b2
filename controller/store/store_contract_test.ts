/**
 * The behaviour every Store implementation shares, run against MemoryStore, FileStore and
 * EtcdStore (a real single-member etcd per test).
 */
import assert from "node:assert/strict";
import { EtcdCluster } from "./_testing/etcd_cluster.ts";
import { EtcdStore } from "./etcd_store.ts";
import { FileStore } from "./file_store.ts";
import { MemoryStore } from "./memory_store.ts";
import { client, exporter, lease } from "./testing.ts";
import type { Store } from "./types.ts";

const implementations: [string, () => Promise<{ store: Store; cleanup: () => Promise<void> }>][] = [
  ["MemoryStore", () => {
    const store = new MemoryStore();
    return Promise.resolve({ store, cleanup: () => store.close() });
  }],
  ["FileStore", async () => {
    const dir = await Deno.makeTempDir({ prefix: "jmp-store-" });
    const store = await FileStore.open(dir);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  }],
  ["EtcdStore", async () => {
    const cluster = await EtcdCluster.start(1);
    try {
      const store = await EtcdStore.open({ endpoints: cluster.endpoints, prefix: "/contract/" });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await cluster.close();
        },
      };
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }],
];

for (const [label, make] of implementations) {
  Deno.test(`${label}: put, get, list and delete`, async () => {
    const { store, cleanup } = await make();
    try {
      assert.equal(store.leases.get("default", "a"), undefined);
      await store.leases.put(lease("b", 2));
      await store.leases.put(lease("a", 1));
      await store.leases.put(lease("c", 3, "other"));
      assert.deepEqual(store.leases.get("default", "a"), lease("a", 1));
      assert.deepEqual(store.leases.list().map((l) => `${l.namespace}/${l.name}`), [
        "default/a",
        "default/b",
        "other/c",
      ]);
      assert.deepEqual(store.leases.list("other").map((l) => l.name), ["c"]);
      assert.deepEqual(store.leases.list("nowhere"), []);
      // replace
      await store.leases.put({ ...lease("a", 1), ended: true });
      assert.equal(store.leases.get("default", "a")?.ended, true);
      assert.equal(await store.leases.delete("default", "a"), true);
      assert.equal(await store.leases.delete("default", "a"), false);
      assert.equal(store.leases.get("default", "a"), undefined);
      // collections are separate
      await store.clients.put(client("a"));
      await store.exporters.put(exporter("a"));
      assert.equal(store.clients.list().length, 1);
      assert.equal(store.exporters.list().length, 1);
      assert.equal(store.leases.list("default").length, 1);
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${label}: records are copies both ways`, async () => {
    const { store, cleanup } = await make();
    try {
      const record = exporter("e1", { board: "rpi4" });
      const written = store.exporters.put(record);
      record.labels["board"] = "changed"; // after put() returned, before it resolved
      await written;
      const read = store.exporters.get("default", "e1");
      assert.equal(read?.labels["board"], "rpi4");
      read!.labels["board"] = "mutated";
      assert.equal(store.exporters.get("default", "e1")?.labels["board"], "rpi4");
      store.exporters.list()[0]!.enabled = false;
      assert.equal(store.exporters.get("default", "e1")?.enabled, true);
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${label}: nextSequence is monotonic, also when concurrent`, async () => {
    const { store, cleanup } = await make();
    try {
      assert.equal(await store.nextSequence(), 1);
      const many = await Promise.all(Array.from({ length: 20 }, () => store.nextSequence()));
      assert.deepEqual(many, Array.from({ length: 20 }, (_, i) => i + 2));
      assert.equal(await store.nextSequence(), 22);
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${label}: writes apply in call order, also when not awaited`, async () => {
    const { store, cleanup } = await make();
    try {
      const put = store.leases.put(lease("a", 1));
      const del = store.leases.delete("default", "a");
      const again = store.leases.put(lease("b", 2));
      const del2 = store.leases.delete("default", "b");
      const put2 = store.leases.put(lease("b", 3));
      assert.deepEqual(await Promise.all([put, del, again, del2, put2]), [
        undefined,
        true,
        undefined,
        true,
        undefined,
      ]);
      assert.deepEqual(store.leases.list().map((l) => `${l.name}:${l.sequence}`), ["b:3"]);
      assert.equal(await store.leases.delete("default", "missing"), false);
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${label}: rejects records without a key`, async () => {
    const { store, cleanup } = await make();
    try {
      await assert.rejects(() => store.leases.put({ ...lease("x", 1), name: "" }), TypeError);
      await assert.rejects(
        () => store.leases.put({ ...lease("x", 1), namespace: 3 as unknown as string }),
        TypeError,
      );
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${label}: refuses writes after close`, async () => {
    const { store, cleanup } = await make();
    await cleanup();
    await assert.rejects(() => store.leases.put(lease("x", 1)), /closed/);
    await assert.rejects(() => store.nextSequence(), /closed/);
  });
}
