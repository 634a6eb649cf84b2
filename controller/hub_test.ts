import assert from "node:assert/strict";
import { ExporterHub } from "./hub.ts";

Deno.test("hub: knows when an exporter's last Status stream closed, and who holds them", () => {
  let now = 1000;
  const changes: string[] = [];
  const hub = new ExporterHub(() => now, (namespace, name) => changes.push(`${namespace}/${name}`));
  assert.equal(hub.disconnectedAt("default", "e1"), undefined);
  const first = hub.watchStatus("default", "e1", () => {}, "process-a");
  const second = hub.watchStatus("default", "e1", () => {}, undefined);
  assert.deepEqual(hub.instances("default", "e1"), ["process-a", undefined]);
  assert.deepEqual(changes, ["default/e1"], "connecting a second stream changes nothing");

  now = 2000;
  first();
  first(); // idempotent: a stream's cancel and close both unsubscribe
  assert.equal(hub.connected("default", "e1"), true);
  assert.equal(hub.disconnectedAt("default", "e1"), undefined);
  now = 3000;
  second();
  assert.equal(hub.connected("default", "e1"), false);
  assert.equal(hub.disconnectedAt("default", "e1"), 3000);
  assert.deepEqual(hub.instances("default", "e1"), []);
  assert.deepEqual(changes, ["default/e1", "default/e1"]);

  hub.watchStatus("default", "e1", () => {}, "process-b");
  assert.equal(hub.disconnectedAt("default", "e1"), undefined, "reconnected");
});

Deno.test("hub: a delivery stops waiting once it is no longer wanted", async () => {
  const hub = new ExporterHub();
  let wanted = true;
  const started = performance.now();
  const delivered = hub.deliver(
    "default",
    "lease1",
    { routerEndpoint: "r", routerToken: "t" },
    30_000,
    () => wanted,
  );
  wanted = false;
  assert.equal(await delivered, false);
  assert.ok(performance.now() - started < 5_000, "gave up long before the 30 s timeout");

  const received: string[] = [];
  const unsubscribe = hub.listen(
    "default",
    "lease2",
    (ticket) => received.push(ticket.routerToken),
  );
  assert.equal(
    await hub.deliver("default", "lease2", { routerEndpoint: "r", routerToken: "t2" }, 1000),
    true,
  );
  assert.deepEqual(received, ["t2"]);
  unsubscribe();
});

Deno.test("hub: a ticket sent to a replica that died goes to the Listen stream that moved here", async () => {
  const hub = new ExporterHub();
  let withdrawn = false;
  const sent = Promise.withResolvers<void>();
  hub.remote = {
    listening: () => {},
    // the dead replica's key outlives it: its stream still looks held there
    listenerElsewhere: () => true,
    deliver: (_namespace, _lease, _ticket, _timeoutMs, signal) =>
      new Promise((resolve) => {
        sent.resolve();
        signal?.addEventListener("abort", () => {
          withdrawn = true;
          resolve(false);
        });
      }),
  };
  const delivered = hub.deliver(
    "default",
    "lease1",
    { routerEndpoint: "r", routerToken: "t" },
    30_000,
  );
  await sent.promise;
  const received: string[] = [];
  hub.listen("default", "lease1", (ticket) => received.push(ticket.routerToken));
  assert.equal(await delivered, true);
  assert.deepEqual(received, ["t"]);
  assert.equal(withdrawn, true, "the ticket sent to the dead replica was withdrawn");
});
