import assert from "node:assert/strict";
import { SchedulerError } from "./errors.ts";
import { cond, fixture, HOUR, MIN, names, T0 } from "./testing.ts";

Deno.test("time: a lease expires exactly at its effective end, and the next one begins then", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: MIN });
  await f.create("b");
  assert.equal(f.scheduler.nextWakeup(), T0 + MIN);
  f.clock.set(T0 + MIN - 1);
  assert.deepEqual(await f.scheduler.reconcile(), []);
  assert.equal(f.lease("a").ended, false);
  f.clock.set(T0 + MIN);
  const changed = await f.scheduler.reconcile();
  assert.deepEqual(names(changed), ["a", "b"]);
  const a = f.lease("a");
  assert.equal(a.ended, true);
  assert.equal(cond(a, "Ready"), "False/Expired");
  assert.equal(a.effectiveEndTime, T0 + MIN);
  const b = f.lease("b");
  assert.equal(b.exporter, "e1");
  assert.equal(b.effectiveBeginTime, T0 + MIN);
  assert.equal(f.scheduler.nextWakeup(), T0 + MIN + HOUR);
});

Deno.test("time: a recheck interval wakes for a lease waiting for a board, and only then", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: MIN });
  assert.equal(f.scheduler.nextWakeup(2_000), T0 + MIN, "nothing waits: the expiry only");
  await f.create("b");
  assert.equal(f.scheduler.nextWakeup(2_000), T0 + 2_000);
  assert.equal(f.scheduler.nextWakeup(), T0 + MIN, "no interval given: the expiry only");
});

Deno.test("time: a late reconcile still ends the lease at its end, not later", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: MIN });
  f.clock.set(T0 + 5 * MIN); // the controller overslept
  assert.equal(f.scheduler.nextWakeup(), T0 + MIN); // in the past: reconcile now
  await f.scheduler.reconcile();
  assert.equal(f.lease("a").effectiveEndTime, T0 + MIN);
  assert.equal(
    f.lease("a").conditions.find((c) => c.type === "Ready")?.lastTransitionTime,
    T0 + 5 * MIN,
  );
  assert.equal(f.scheduler.nextWakeup(), undefined);
});

Deno.test("time: a scheduled lease waits for its begin time", async () => {
  const f = fixture();
  await f.addExporter("e1");
  const begin = T0 + HOUR;
  const s = await f.create("s", { beginTime: begin, duration: 30 * MIN });
  assert.equal(s.exporter, undefined);
  assert.equal(cond(s, "Pending"), "True/Scheduled");
  assert.match(s.conditions[0]!.message, /begins at 2025-01-01T10:00:00.000Z/);
  assert.equal(f.scheduler.nextWakeup(), begin);
  assert.deepEqual(f.scheduler.queueInfo("lab", "s"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
  // an immediate lease is not held up by the scheduled one (which is not due yet)
  const now = await f.create("now", { duration: 2 * HOUR });
  assert.equal(now.exporter, "e1");
  // if "now" runs its full 2 h, s (until begin + 30 min) would end before getting the board
  assert.deepEqual(f.scheduler.queueInfo("lab", "s"), { position: 1, ahead: [] });
  await f.scheduler.releaseLease("lab", "now");
  f.clock.set(begin - 1);
  assert.deepEqual(await f.scheduler.reconcile(), []);
  f.clock.set(begin);
  const changed = await f.scheduler.reconcile();
  assert.deepEqual(names(changed), ["s"]);
  const started = f.lease("s");
  assert.equal(started.exporter, "e1");
  assert.equal(started.effectiveBeginTime, begin);
  assert.equal(started.effectiveEndTime, begin + 30 * MIN);
  assert.equal(cond(started, "Ready"), "True/Ready");
});

Deno.test("time: a scheduled lease that gets its board late still ends at begin + duration", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: 2 * HOUR });
  await f.create("s", { beginTime: T0 + HOUR, duration: 2 * HOUR });
  f.clock.set(T0 + HOUR);
  await f.scheduler.reconcile();
  assert.equal(cond(f.lease("s"), "Pending"), "True/NotAvailable");
  assert.equal(f.scheduler.nextWakeup(), T0 + 2 * HOUR);
  assert.deepEqual(f.scheduler.queueInfo("lab", "s"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
  f.clock.set(T0 + 2 * HOUR);
  await f.scheduler.reconcile();
  assert.equal(f.lease("s").effectiveBeginTime, T0 + 2 * HOUR);
  assert.equal(f.lease("s").effectiveEndTime, T0 + 3 * HOUR);
});

Deno.test("time: a pending lease whose requested end passes expires without a board", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: 2 * HOUR });
  const w = await f.create("w", { endTime: T0 + HOUR, duration: undefined });
  assert.equal(w.duration, undefined);
  // a's end comes after w's: no estimate
  assert.deepEqual(f.scheduler.queueInfo("lab", "w"), { position: 1, ahead: [] });
  assert.equal(f.scheduler.nextWakeup(), T0 + HOUR);
  f.clock.set(T0 + HOUR);
  assert.deepEqual(names(await f.scheduler.reconcile()), ["w"]);
  assert.equal(cond(f.lease("w"), "Ready"), "False/Expired");
  assert.match(f.lease("w").conditions.at(-1)!.message, /before an exporter became available/);
  assert.equal(f.lease("w").effectiveEndTime, T0 + HOUR);
});

Deno.test("time: an end time alone bounds an immediate lease", async () => {
  const f = fixture();
  await f.addExporter("e1");
  f.clock.set(T0 + 7 * MIN);
  const a = await f.create("a", { endTime: T0 + HOUR, duration: undefined });
  assert.equal(a.effectiveBeginTime, T0 + 7 * MIN);
  assert.equal(a.effectiveEndTime, T0 + HOUR);
});

Deno.test("time: update extends the end (duration or end time) and the queue estimate follows", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a");
  await f.create("b");
  f.clock.advance(30 * MIN);
  const { lease, changed } = await f.scheduler.updateLease("lab", "a", { duration: 2 * HOUR });
  assert.deepEqual(names(changed), ["a"]);
  assert.equal(lease.duration, 2 * HOUR);
  assert.equal(lease.effectiveEndTime, T0 + 2 * HOUR);
  assert.equal(f.scheduler.nextWakeup(), T0 + 2 * HOUR);
  assert.equal(f.scheduler.queueInfo("lab", "b")?.estimatedWaitMs, 90 * MIN);
  const byEnd = await f.scheduler.updateLease("lab", "a", { endTime: T0 + 3 * HOUR });
  assert.equal(byEnd.lease.endTime, T0 + 3 * HOUR);
  assert.equal(byEnd.lease.duration, 3 * HOUR); // follows the end from the actual begin
  assert.equal(byEnd.lease.effectiveEndTime, T0 + 3 * HOUR);
  // then a duration again: the fixed end moves with it
  const back = await f.scheduler.updateLease("lab", "a", { duration: 150 * MIN });
  assert.equal(back.lease.endTime, T0 + 150 * MIN);
  assert.equal(back.lease.effectiveEndTime, T0 + 150 * MIN);
  // transfer to another client
  const moved = await f.scheduler.updateLease("lab", "a", { client: "carol" });
  assert.equal(moved.lease.client, "carol");
  // the extension is honoured: no expiry at the old end
  f.clock.set(T0 + HOUR);
  assert.deepEqual(await f.scheduler.reconcile(), []);
});

Deno.test("time: update refuses ended leases, begin changes after the begin, ends in the past", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a");
  await f.create("p", { beginTime: T0 + HOUR, duration: HOUR });
  const code = async (p: Promise<unknown>) => {
    const e = await p.then(() => undefined, (e: unknown) => e);
    assert.ok(e instanceof SchedulerError, String(e));
    return `${e.code}: ${e.message}`;
  };
  assert.match(
    await code(f.scheduler.updateLease("lab", "a", { beginTime: T0 })),
    /^FailedPrecondition: .*already begun/,
  );
  assert.match(
    await code(f.scheduler.updateLease("lab", "a", { duration: -1 })),
    /^InvalidArgument: duration must be positive/,
  );
  f.clock.advance(30 * MIN);
  assert.match(
    await code(f.scheduler.updateLease("lab", "a", { duration: 10 * MIN })),
    /^InvalidArgument: the new end is not in the future/,
  );
  assert.match(
    await code(f.scheduler.updateLease("lab", "a", { endTime: T0 })),
    /^InvalidArgument: end_time is in the past/,
  );
  assert.match(await code(f.scheduler.updateLease("lab", "nope", { duration: HOUR })), /^NotFound/);
  assert.equal(f.lease("a").effectiveEndTime, T0 + HOUR); // untouched by the failures
  // a pending scheduled lease can move its begin; its length is kept
  const moved = await f.scheduler.updateLease("lab", "p", { beginTime: T0 + 2 * HOUR });
  assert.equal(moved.lease.beginTime, T0 + 2 * HOUR);
  assert.equal(moved.lease.duration, HOUR);
  assert.equal(f.scheduler.nextWakeup(), T0 + HOUR); // a's end
  // past its end (even before any reconcile noticed), a lease cannot be extended
  f.clock.set(T0 + HOUR);
  assert.match(
    await code(f.scheduler.updateLease("lab", "a", { duration: 3 * HOUR })),
    /^FailedPrecondition: .*has ended/,
  );
  // a failed call changes nothing; the expiry lands with the next pass
  assert.equal(cond(f.lease("a"), "Ready"), "True/Ready");
  assert.deepEqual(names(await f.scheduler.reconcile()), ["a"]);
  assert.equal(cond(f.lease("a"), "Ready"), "False/Expired");
});
