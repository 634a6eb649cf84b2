import assert from "node:assert/strict";
import { SchedulerError } from "./errors.ts";
import { cond, fixture, HOUR, MIN, names, T0 } from "./testing.ts";

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof SchedulerError, String(e));
  return `${e.code}: ${e.message}`;
}

Deno.test("release: a client release twice is FailedPrecondition (HEAD), and so is an ended lease", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a");
  await f.scheduler.releaseLease("lab", "a");
  assert.equal(
    await failure(f.scheduler.releaseLease("lab", "a")),
    "FailedPrecondition: lease lab/a already released",
  );
  await f.create("b", { duration: MIN });
  f.clock.advance(MIN); // past its end, before any reconcile
  assert.equal(
    await failure(f.scheduler.releaseLease("lab", "b")),
    "FailedPrecondition: lease lab/b has already ended",
  );
  assert.equal(
    await failure(f.scheduler.releaseLease("lab", "zzz")),
    "NotFound: lease lab/zzz not found",
  );
});

Deno.test("release: only the owning client may release", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { client: "alice" });
  assert.equal(
    await failure(f.scheduler.releaseLease("lab", "a", { client: "bob" })),
    "PermissionDenied: permission denied",
  );
  const { lease } = await f.scheduler.releaseLease("lab", "a", { client: "alice" });
  assert.equal(lease.ended, true);
});

Deno.test("release: by the exporter holding it, idempotent; others are denied", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.addExporter("e2");
  await f.create("a");
  await f.create("b");
  await f.create("c");
  assert.equal(
    await failure(f.scheduler.releaseLease("lab", "a", { exporter: "e2" })),
    "PermissionDenied: permission denied",
  );
  assert.equal(
    await failure(f.scheduler.releaseLease("lab", "c", { exporter: "e1" })), // pending: no holder
    "PermissionDenied: permission denied",
  );
  f.clock.advance(5 * MIN);
  const first = await f.scheduler.releaseLease("lab", "a", {
    exporter: "e1",
    message: "afterLease hook done",
  });
  assert.deepEqual(names(first.changed), ["a", "c"]);
  assert.equal(first.lease.conditions.at(-1)?.message, "afterLease hook done");
  assert.equal(first.lease.effectiveEndTime, T0 + 5 * MIN);
  const again = await f.scheduler.releaseLease("lab", "a", { exporter: "e1" });
  assert.deepEqual(again.changed, []);
  assert.equal(again.lease.ended, true);
  // a client release after the exporter's is the HEAD error
  assert.match(await failure(f.scheduler.releaseLease("lab", "a")), /already released/);
});

Deno.test("release: an exporter releasing an expired lease gets no error and changes nothing more", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.create("a", { duration: HOUR });
  f.clock.advance(HOUR + 1);
  const { lease, changed } = await f.scheduler.releaseLease("lab", "a", { exporter: "e1" });
  assert.deepEqual(names(changed), ["a"]); // the expiry it noticed
  assert.equal(cond(lease, "Ready"), "False/Expired");
  assert.equal(lease.release, false);
  assert.equal(lease.effectiveEndTime, T0 + HOUR);
});
