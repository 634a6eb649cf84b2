/**
 * LiveRegistry on a real etcd: what one replica holds (an exporter's Status stream, a lease's
 * Listen stream) is seen by the other, a ticket sent to the holder of a Listen stream is handed
 * over and acknowledged, one with no taker is withdrawn, one whose Listen stream goes away comes
 * back at once, a replica's keys go when it closes, and router processes are seen come and go.
 */
import assert from "node:assert/strict";
import { Etcd3 } from "etcd3";
import { waitingFor } from "../lib/testing/deadline.ts";
import { eventually } from "../lib/testing/eventually.ts";
import type { Ticket } from "./hub.ts";
import { type LiveEvents, LiveRegistry, routerKey } from "./replica_live.ts";
import { EtcdCluster } from "./store/_testing/etcd_cluster.ts";

interface Side {
  live: LiveRegistry;
  tickets: Ticket[];
  changes: string[];
}

function side(client: Etcd3, id: string, takes: () => boolean): Side {
  const tickets: Ticket[] = [];
  const changes: string[] = [];
  const events: LiveEvents = {
    exporterChanged: (namespace, name) => void changes.push(`${namespace}/${name}`),
    ticket: (_namespace, _lease, ticket) => {
      if (!takes()) return false;
      tickets.push(ticket);
      return true;
    },
  };
  return { live: new LiveRegistry(client, "/live-test/", id, 5, events), tickets, changes };
}

Deno.test("LiveRegistry: presence, listeners and tickets cross replicas through etcd", async () => {
  await using cluster = await EtcdCluster.start(1);
  const clientA = new Etcd3({ hosts: cluster.endpoints });
  const clientB = new Etcd3({ hosts: cluster.endpoints });
  let takes = true;
  const a = side(clientA, "a", () => takes);
  const b = side(clientB, "b", () => true);
  try {
    await Promise.all([a.live.start(), b.live.start()]);
    await a.live.exporterConnected("lab", "bench1", ["process-1"]);
    await eventually("b to see bench1 on a", () => b.live.connectedElsewhere("lab", "bench1"));
    assert.equal(a.live.connectedElsewhere("lab", "bench1"), false, "a counts itself as another");
    assert.deepEqual(b.changes, ["lab/bench1"]);
    assert.deepEqual(b.live.instancesElsewhere("lab", "bench1"), ["process-1"]);
    assert.deepEqual(a.live.instancesElsewhere("lab", "bench1"), []);

    await a.live.listening("lab", "lease1", true);
    await eventually("b to see lease1's listener", () => b.live.listenerElsewhere("lab", "lease1"));
    const ticket = { routerEndpoint: "b:1", routerToken: "t1" };
    assert.equal(await b.live.deliver("lab", "lease1", ticket, 10_000), true);
    assert.deepEqual(a.tickets, [ticket]);

    takes = false; // the stream went away on a just as the ticket came
    const started = Date.now();
    assert.equal(await b.live.deliver("lab", "lease1", ticket, 500), false);
    assert.ok(Date.now() - started >= 500, "gave up before its time");
    assert.equal(await b.live.deliver("lab", "nobody", ticket, 10_000), false);

    await a.live.close();
    await eventually(
      "a's keys to go with it",
      () =>
        !b.live.connectedElsewhere("lab", "bench1") && !b.live.listenerElsewhere("lab", "lease1"),
    );
    const left = await waitingFor(
      "reading what is left under live/",
      clientB.getAll().prefix("/live-test/live/").keys(),
      () => "no answer",
    );
    assert.deepEqual(left, []);
  } finally {
    await a.live.close();
    await b.live.close();
    clientA.close();
    clientB.close();
  }
});

Deno.test("LiveRegistry: an exporter that drops and comes back at once ends up present", async () => {
  await using cluster = await EtcdCluster.start(1);
  const clientA = new Etcd3({ hosts: cluster.endpoints });
  const clientB = new Etcd3({ hosts: cluster.endpoints });
  const a = side(clientA, "a", () => true);
  const b = side(clientB, "b", () => true);
  try {
    await Promise.all([a.live.start(), b.live.start()]);
    // Status streams that go and come back faster than etcd answers: each write is sent at once
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 50; round++) {
      writes.push(a.live.exporterConnected("lab", "bench1", [`process-${round}`]));
      writes.push(a.live.exporterConnected("lab", "bench1", []));
    }
    writes.push(a.live.exporterConnected("lab", "bench1", ["process-last"]));
    await Promise.all(writes);
    const stored = await clientB.get(`/live-test/live/exporters/lab/bench1/a`).string();
    assert.equal(stored, JSON.stringify(["process-last"]), "etcd holds the last write");
    await eventually(
      "b to see bench1 on a, from its last process",
      () => b.live.instancesElsewhere("lab", "bench1")[0] === "process-last",
    );
  } finally {
    await a.live.close();
    await b.live.close();
    clientA.close();
    clientB.close();
  }
});

Deno.test("LiveRegistry: a ticket comes back once its Listen stream goes; routers are seen", async () => {
  await using cluster = await EtcdCluster.start(1);
  const clientA = new Etcd3({ hosts: cluster.endpoints });
  const clientB = new Etcd3({ hosts: cluster.endpoints });
  const a = side(clientA, "a", () => false); // a replica that no longer takes tickets (dying)
  const b = side(clientB, "b", () => true);
  try {
    await Promise.all([a.live.start(), b.live.start()]);
    await a.live.listening("lab", "lease1", true);
    await eventually("b to see lease1's listener", () => b.live.listenerElsewhere("lab", "lease1"));
    const started = performance.now();
    const delivered = b.live.deliver(
      "lab",
      "lease1",
      { routerEndpoint: "r", routerToken: "t" },
      30_000,
    );
    await a.live.listening("lab", "lease1", false);
    assert.equal(await delivered, false);
    assert.ok(performance.now() - started < 10_000, "waited for the 30 s timeout");

    const router = clientA.lease(5);
    await router.put(routerKey("/live-test/", "r1")).value(JSON.stringify({ endpoint: "r1:8083" }));
    await eventually("b to see router r1", () => b.live.routers.get("r1") === "r1:8083");
    await router.revoke();
    await eventually("router r1 to be gone", () => !b.live.routers.has("r1"));
  } finally {
    await a.live.close();
    await b.live.close();
    clientA.close();
    clientB.close();
  }
});
