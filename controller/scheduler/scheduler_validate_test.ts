import assert from "node:assert/strict";
import { SchedulerError } from "./errors.ts";
import type { CreateLeaseRequest } from "./scheduler.ts";
import { fixture, HOUR, T0 } from "./testing.ts";
import { uuidv7Time } from "./uuid.ts";

const base: CreateLeaseRequest = {
  namespace: "lab",
  client: "alice",
  selector: "board=rpi4",
  duration: HOUR,
};

Deno.test("validate: bad create requests are InvalidArgument and store nothing", async () => {
  const f = fixture();
  await f.addExporter("e1");
  const bad: [Partial<CreateLeaseRequest>, RegExp][] = [
    [{ selector: "" }, /one of selector or exporter_name is required/],
    [{ selector: "   " }, /one of selector or exporter_name is required/],
    [
      { selector: "board in rpi4" },
      /invalid label selector "board in rpi4": expected "\(" .* at position 9/,
    ],
    [{ exporterName: "" }, /exporter_name must not be empty/],
    [{ duration: 0 }, /duration must be positive/],
    [{ duration: -5 }, /duration must be positive/],
    [{ duration: Number.NaN }, /duration must be a finite number/],
    [{ beginTime: T0 + HOUR, endTime: T0 + HOUR }, /end_time must be after begin_time/],
    [{ beginTime: T0, endTime: T0 + 2 * HOUR }, /duration does not match/],
    [{ endTime: T0 }, /end_time is in the past/],
    [{ namespace: "" }, /namespace is required/],
    [{ client: "" }, /client is required/],
    [{ name: "Not_A_Name" }, /invalid lease name "Not_A_Name"/],
    [
      { tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, "x"])) },
      /too many tags: 11/,
    ],
    [{ tags: { "a/b": "x" } }, /must not contain '\/'/],
    [{ tags: { ok: "bad value" } }, /tag "ok" value must be empty or consist/],
  ];
  for (const [patch, message] of bad) {
    const e = await f.scheduler.createLease({ ...base, ...patch }).then(() => undefined, (e) => e);
    assert.ok(e instanceof SchedulerError, `${JSON.stringify(patch)}: ${e}`);
    assert.equal(e.code, "InvalidArgument");
    assert.match(e.message, message);
  }
  const { duration: _, ...noDuration } = base;
  const e = await f.scheduler.createLease(noDuration).then(() => undefined, (e) => e);
  assert.match(String(e), /duration is required/);
  assert.deepEqual(f.store.leases.list(), []);
  assert.equal(await f.store.nextSequence(), 1); // no sequence was spent
});

Deno.test("validate: duration derived from begin and end; selector canonicalised; name is a UUIDv7", async () => {
  const f = fixture();
  await f.addExporter("e1");
  const { duration: _, ...rest } = base;
  const { lease } = await f.scheduler.createLease({
    ...rest,
    selector: " site != lab2 , board==rpi4 ",
    beginTime: T0,
    endTime: T0 + 90 * 60_000,
    tags: { team: "kernel" },
  });
  assert.equal(lease.duration, 90 * 60_000);
  assert.equal(lease.selector, "board=rpi4,site notin (lab2)");
  assert.equal(uuidv7Time(lease.name), T0);
  assert.deepEqual(lease.tags, { team: "kernel" });
  assert.equal(lease.exporter, "e1");
  assert.equal(lease.effectiveEndTime, T0 + 90 * 60_000);
});

Deno.test("validate: a clashing name is AlreadyExists", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.scheduler.createLease({ ...base, name: "my-lease" });
  const e = await f.scheduler.createLease({ ...base, name: "my-lease" }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(e instanceof SchedulerError);
  assert.equal(e.code, "AlreadyExists");
  assert.match(e.message, /lease lab\/my-lease already exists/);
  // the same name in another namespace is fine
  const other = await f.scheduler.createLease({ ...base, namespace: "other", name: "my-lease" });
  assert.equal(other.lease.namespace, "other");
});

Deno.test("validate: a stored lease with an empty selector and no exporter ends Invalid", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.store.leases.put({
    namespace: "lab",
    name: "legacy",
    client: "x",
    selector: "",
    duration: HOUR,
    conditions: [],
    release: false,
    ended: false,
    tags: {},
    createdAt: T0,
    sequence: 99,
  });
  const changed = await f.scheduler.reconcile();
  assert.deepEqual(changed.map((l) => l.name), ["legacy"]);
  assert.deepEqual(changed[0]!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), [
    "Invalid=True/InvalidSelector",
  ]);
  assert.equal(changed[0]!.ended, true);
});
