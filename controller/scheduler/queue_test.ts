import assert from "node:assert/strict";
import { SchedulerError } from "./errors.ts";
import { fixture, HOUR, MIN, predictedWaits, runUntilIdle } from "./testing.ts";

Deno.test("queue: a lease ahead that finishes early hands the board on (chained estimate)", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: 10 * MIN });
  await f.create("b", { duration: 5 * MIN });
  await f.create("c");
  assert.deepEqual(f.scheduler.queueInfo("lab", "b"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 10 * MIN,
  });
  assert.deepEqual(f.scheduler.queueInfo("lab", "c"), {
    position: 2,
    ahead: ["b"],
    estimatedWaitMs: 15 * MIN,
  });
});

Deno.test("queue: k-th soonest end on shared candidates, and a short lease ahead reuses a board", async () => {
  const f = fixture();
  for (const e of ["e1", "e2", "e3"]) await f.addExporter(e);
  await f.create("a1", { duration: 30 * MIN });
  await f.create("a2", { duration: 60 * MIN });
  await f.create("a3", { duration: 90 * MIN });
  await f.create("w1", { duration: 2 * HOUR });
  await f.create("w2", { duration: 2 * HOUR });
  await f.create("w3", { duration: 10 * MIN });
  await f.create("w4");
  const info = (n: string) => f.scheduler.queueInfo("lab", n);
  assert.deepEqual(info("w1"), { position: 1, ahead: [], estimatedWaitMs: 30 * MIN });
  assert.deepEqual(info("w2"), { position: 2, ahead: ["w1"], estimatedWaitMs: 60 * MIN });
  assert.deepEqual(info("w3"), { position: 3, ahead: ["w1", "w2"], estimatedWaitMs: 90 * MIN });
  // w4 is 4th: three ends are used up by w1..w3, but w3 only takes 10 minutes
  assert.deepEqual(info("w4"), {
    position: 4,
    ahead: ["w1", "w2", "w3"],
    estimatedWaitMs: 100 * MIN,
  });
});

Deno.test("queue: only leases whose candidates intersect are ahead", async () => {
  const f = fixture();
  await f.addExporter("r1", { board: "rpi4" });
  await f.addExporter("r2", { board: "rpi4", usb: "yes" });
  await f.addExporter("x1", { board: "imx8" });
  await f.create("busy1");
  await f.create("busy2");
  await f.create("busy3", { selector: "board=imx8", duration: 20 * MIN });
  await f.create("imx", { selector: "board=imx8" });
  await f.create("usb", { selector: "usb=yes" }); // only r2
  await f.create("any"); // r1 or r2
  assert.deepEqual(f.scheduler.queueInfo("lab", "imx"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 20 * MIN,
  });
  assert.deepEqual(f.scheduler.queueInfo("lab", "usb"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
  const any = f.scheduler.queueInfo("lab", "any");
  assert.deepEqual(any?.ahead, ["usb"]);
  assert.equal(any?.position, 2);
  // both rpi boards free at T0+1h: usb takes r2, any takes r1, at the same instant
  assert.equal(any?.estimatedWaitMs, HOUR);
});

Deno.test("queue: scheduled leases count from their begin; no estimate without a usable board", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: 30 * MIN });
  await f.create("later", { beginTime: Date.UTC(2025, 0, 1, 12, 0), duration: 30 * MIN }); // T0 + 3 h
  await f.create("b");
  // "later" is not due, so not ahead of b, and b's hour ends before it begins
  assert.deepEqual(f.scheduler.queueInfo("lab", "b"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 30 * MIN,
  });
  assert.deepEqual(f.scheduler.queueInfo("lab", "later"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 3 * HOUR,
  });
  // the board goes offline: no prediction any more
  f.offline.add("e1");
  assert.deepEqual(f.scheduler.queueInfo("lab", "b"), { position: 1, ahead: [] });
});

Deno.test("queue: not for active or ended leases; NotFound for unknown ones", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a");
  assert.equal(f.scheduler.queueInfo("lab", "a"), undefined);
  await f.scheduler.releaseLease("lab", "a");
  assert.equal(f.scheduler.queueInfo("lab", "a"), undefined);
  assert.throws(
    () => f.scheduler.queueInfo("lab", "nope"),
    (e: unknown) => e instanceof SchedulerError && e.code === "NotFound",
  );
});

Deno.test("queue: the estimate comes true when every lease runs to its end", async () => {
  const f = fixture();
  for (const e of ["e1", "e2"]) await f.addExporter(e);
  const durations = [25, 40, 10, 70, 15, 5, 30, 20];
  for (const [i, d] of durations.entries()) await f.create(`l${i}`, { duration: d * MIN });
  const start = f.clock.now();
  const predicted = predictedWaits(f);
  assert.equal(predicted.size, durations.length - 2);
  // run the world: wake exactly when the scheduler asks to
  await runUntilIdle(f);
  for (const [name, wait] of predicted) {
    assert.equal(f.lease(name).effectiveBeginTime, start + wait!, name);
  }
});
