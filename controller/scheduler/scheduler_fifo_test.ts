import assert from "node:assert/strict";
import { cond, fixture, HOUR, MIN, names, T0 } from "./testing.ts";

Deno.test("FIFO: two clients, one exporter: the second waits, sees its place, then gets it", async () => {
  const f = fixture();
  await f.addExporter("e1");
  const a = await f.create("a");
  assert.equal(a.exporter, "e1");
  assert.equal(cond(a, "Ready"), "True/Ready");
  assert.equal(a.effectiveBeginTime, T0);
  assert.equal(a.effectiveEndTime, T0 + HOUR);
  assert.equal(cond(a, "Pending"), undefined);

  f.clock.advance(10 * MIN);
  const result = await f.scheduler.createLease({
    namespace: "lab",
    client: "bob",
    selector: "board=rpi4",
    duration: HOUR,
    name: "b",
  });
  assert.deepEqual(names(result.changed), ["b"]);
  const b = result.lease;
  assert.equal(b.exporter, undefined);
  assert.equal(cond(b, "Pending"), "True/NotAvailable");
  assert.equal(cond(b, "Ready"), undefined);
  assert.match(
    b.conditions[0]!.message,
    /There are 1 approved exporters, \(i\.e\. e1\) but all of them are already leased/,
  );
  assert.deepEqual(f.scheduler.queueInfo("lab", "b"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 50 * MIN, // a's remaining time
  });
  f.clock.advance(20 * MIN);
  assert.equal(f.scheduler.queueInfo("lab", "b")?.estimatedWaitMs, 30 * MIN);
  assert.deepEqual(await f.scheduler.reconcile(), []); // nothing to do yet

  const released = await f.scheduler.releaseLease("lab", "a");
  assert.deepEqual(names(released.changed), ["a", "b"]);
  const [ra, rb] = released.changed;
  assert.equal(cond(ra!, "Ready"), "False/Released");
  assert.equal(ra!.conditions.at(-1)!.message, "The lease was marked for release");
  assert.equal(ra!.ended, true);
  assert.equal(ra!.release, true);
  assert.equal(ra!.effectiveEndTime, T0 + 30 * MIN);
  assert.equal(rb!.exporter, "e1");
  assert.equal(rb!.effectiveBeginTime, T0 + 30 * MIN);
  assert.equal(rb!.effectiveEndTime, T0 + 90 * MIN);
  // conditions keyed by type, Pending kept as it was (upstream never flips it)
  assert.deepEqual(rb!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), [
    "Pending=True/NotAvailable",
    "Ready=True/Ready",
  ]);
  assert.equal(f.scheduler.queueInfo("lab", "b"), undefined);
  assert.deepEqual(f.lease("b"), rb);
});

Deno.test("FIFO: three clients on two exporters", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.addExporter("e2");
  const a = await f.create("a", { duration: 2 * HOUR });
  const b = await f.create("b", { duration: HOUR });
  assert.deepEqual([a.exporter, b.exporter], ["e1", "e2"]);
  const c = await f.create("c");
  assert.equal(cond(c, "Pending"), "True/NotAvailable");
  assert.match(
    c.conditions[0]!.message,
    /^There are 2 approved exporters, \(i\.e\. e1\) but all of them are already leased$/,
  );
  // c: next in line, gets the first board to free up (b's, in an hour)
  assert.deepEqual(f.scheduler.queueInfo("lab", "c"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
  await f.create("d");
  // d: second in line, the second soonest end (a's, in two hours)
  assert.deepEqual(f.scheduler.queueInfo("lab", "d"), {
    position: 2,
    ahead: ["c"],
    estimatedWaitMs: 2 * HOUR,
  });
  f.clock.advance(15 * MIN);
  const released = await f.scheduler.releaseLease("lab", "a");
  assert.deepEqual(names(released.changed), ["a", "c"]);
  assert.equal(f.lease("c").exporter, "e1");
  assert.deepEqual(f.scheduler.queueInfo("lab", "d"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 45 * MIN, // b ends at T0+1h
  });
  f.clock.advance(45 * MIN);
  const changed = await f.scheduler.reconcile();
  assert.deepEqual(names(changed), ["b", "d"]);
  assert.equal(cond(f.lease("b"), "Ready"), "False/Expired");
  assert.equal(f.lease("d").exporter, "e2");
});

Deno.test("FIFO: releasing a pending lease takes it out of the queue", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a");
  await f.create("b");
  await f.create("c");
  assert.deepEqual(f.scheduler.queueInfo("lab", "c")?.ahead, ["b"]);
  const released = await f.scheduler.releaseLease("lab", "b", { message: "gave up" });
  assert.deepEqual(names(released.changed), ["b"]);
  const b = f.lease("b");
  assert.equal(b.ended, true);
  assert.equal(b.exporter, undefined);
  assert.equal(b.effectiveEndTime, T0);
  assert.deepEqual(b.conditions.find((x) => x.type === "Ready"), {
    type: "Ready",
    status: "False",
    reason: "Released",
    message: "gave up",
    lastTransitionTime: T0,
  });
  assert.deepEqual(f.scheduler.queueInfo("lab", "c"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
  await f.scheduler.releaseLease("lab", "a");
  assert.equal(f.lease("c").exporter, "e1");
  assert.equal(f.lease("b").exporter, undefined);
});

Deno.test("FIFO: concurrent creates are served in call order, one board each", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.addExporter("e2");
  const results = await Promise.all(
    ["l0", "l1", "l2", "l3", "l4"].map((name) => f.create(name)),
  );
  assert.deepEqual(results.map((l) => l.sequence), [1, 2, 3, 4, 5]);
  assert.deepEqual(results.map((l) => l.exporter ?? "-"), ["e1", "e2", "-", "-", "-"]);
  assert.deepEqual(
    ["l2", "l3", "l4"].map((n) => f.scheduler.queueInfo("lab", n)?.position),
    [1, 2, 3],
  );
  // the third waiter gets the board the first of l0/l1 hands on; both end at T0+1h
  assert.equal(f.scheduler.queueInfo("lab", "l4")?.estimatedWaitMs, 2 * HOUR);
  await f.scheduler.releaseLease("lab", "l1");
  await f.scheduler.releaseLease("lab", "l0");
  assert.deepEqual(["l2", "l3"].map((n) => f.lease(n).exporter), ["e2", "e1"]);
});

Deno.test("FIFO: a later lease with other candidates is not held up", async () => {
  const f = fixture();
  await f.addExporter("e1", { board: "rpi4" });
  await f.addExporter("x1", { board: "imx8" });
  await f.create("a");
  await f.create("b"); // waits for e1
  const c = await f.create("c", { selector: "board=imx8" });
  assert.equal(c.exporter, "x1");
  assert.deepEqual(f.scheduler.queueInfo("lab", "b")?.ahead, []);
});
