import assert from "node:assert/strict";
import { MemoryStore } from "../store/memory_store.ts";
import { FakeClock } from "./clock.ts";
import { Scheduler } from "./scheduler.ts";
import { cond, exporterRecord, fixture, HOUR, names, T0 } from "./testing.ts";

Deno.test("candidates: a named exporter is used even when others are free", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.addExporter("e2");
  const a = await f.create("a", { exporterName: "e2", selector: "" });
  assert.equal(a.exporter, "e2");
  assert.equal(a.selector, "");
  const b = await f.create("b", { exporterName: "e2", selector: "board=rpi4" });
  assert.equal(cond(b, "Pending"), "True/NotAvailable");
  assert.match(
    b.conditions[0]!.message,
    /^There are 1 approved exporters, \(i\.e\. e2\) but all of them are already leased$/,
  );
  assert.deepEqual(f.scheduler.queueInfo("lab", "b"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
  // a lease on any board is not behind b: their candidates differ (e1 vs e2)
  const c = await f.create("c");
  assert.equal(c.exporter, "e1");
});

Deno.test("candidates: a named exporter must exist, match the selector and be enabled", async () => {
  const f = fixture();
  await f.addExporter("e1", { board: "rpi4" });
  await f.addExporter("off", { board: "rpi4" }, { enabled: false });
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "nf",
      { exporterName: "nope" },
      "True/ExporterNotFound",
      /^Requested exporter nope was not found$/,
    ],
    [
      "mm",
      { exporterName: "e1", selector: "board=imx8" },
      "True/SelectorMismatch",
      /^Requested exporter e1 does not match selector board=imx8$/,
    ],
    [
      "dis",
      { exporterName: "off" },
      "True/ExporterDisabled",
      /^Requested exporter off is disabled\. To lease a disabled exporter/,
    ],
  ];
  for (const [name, request, expected, message] of cases) {
    const { lease, changed } = await f.scheduler.createLease({
      namespace: "lab",
      client: "x",
      duration: HOUR,
      name,
      ...request,
    });
    assert.deepEqual(names(changed), [name]);
    assert.equal(cond(lease, "Unsatisfiable"), expected);
    assert.match(lease.conditions[0]!.message, message);
    assert.equal(lease.ended, true);
    assert.equal(lease.effectiveEndTime, T0);
    assert.equal(lease.exporter, undefined);
    assert.equal(f.scheduler.queueInfo("lab", name), undefined);
  }
  const allowed = await f.create("allowed", { exporterName: "off", allowDisabled: true });
  assert.equal(allowed.exporter, "off");
  assert.equal(allowed.allowDisabled, true);
});

Deno.test("candidates: a selector matching no exporter is Unsatisfiable and ends", async () => {
  const f = fixture();
  await f.addExporter("e1", { board: "rpi4" });
  const lease = await f.create("a", { selector: "board=imx8" });
  // HEAD's reason; not NoExporter, which HEAD clients retry forever
  assert.equal(cond(lease, "Unsatisfiable"), "True/NoAccess");
  assert.equal(
    lease.conditions[0]!.message,
    "There are no exporters matching the selector board=imx8",
  );
  assert.equal(lease.ended, true);
  assert.deepEqual(f.scheduler.listLeases("lab"), []);
  assert.equal(f.scheduler.nextWakeup(), undefined);
});

Deno.test("candidates: disabled exporters are skipped; all disabled is Unsatisfiable", async () => {
  const f = fixture();
  await f.addExporter("a-disabled", { board: "rpi4" }, { enabled: false });
  await f.addExporter("b-enabled", { board: "rpi4" });
  await f.addExporter("imx-disabled", { board: "imx8" }, { enabled: false });
  assert.equal((await f.create("l1")).exporter, "b-enabled");
  const l2 = await f.create("l2");
  assert.equal(cond(l2, "Pending"), "True/NotAvailable"); // the disabled one is no candidate
  const l3 = await f.create("l3", { selector: "board=imx8" });
  assert.equal(cond(l3, "Unsatisfiable"), "True/AllDisabled");
  assert.equal(l3.ended, true);
  // an admin enables the exporter: the waiting lease gets it
  const changed = await f.addExporter("a-disabled", { board: "rpi4" }, { enabled: true });
  assert.deepEqual(names(changed), ["l2"]);
  assert.equal(f.lease("l2").exporter, "a-disabled");
});

Deno.test("candidates: Offline, NotReady and NotAvailable pending reasons", async () => {
  const f = fixture();
  f.offline.add("e1");
  await f.addExporter("e1");
  const a = await f.create("a");
  assert.equal(cond(a, "Pending"), "True/Offline");
  assert.match(
    a.conditions[0]!.message,
    /^While there are 1 available exporters \(i\.e\. e1\), none of them are online$/,
  );
  assert.deepEqual(f.scheduler.queueInfo("lab", "a"), { position: 1, ahead: [] }); // no estimate

  // comes online, but still finishing the previous lease's hook
  f.offline.delete("e1");
  const changed = await f.addExporter("e1", { board: "rpi4" }, { status: "AfterLeaseHook" });
  assert.deepEqual(names(changed), ["a"]);
  assert.equal(cond(f.lease("a"), "Pending"), "True/NotReady");
  assert.match(
    f.lease("a").conditions[0]!.message,
    /^There are 1 online exporters, but none are ready \(still cleaning up previous lease\)$/,
  );

  const ready = await f.addExporter("e1", { board: "rpi4" }, { status: "Available" });
  assert.deepEqual(names(ready), ["a"]);
  assert.equal(f.lease("a").exporter, "e1");
  assert.equal(cond(f.lease("a"), "Pending"), "True/NotReady"); // kept as it was

  const b = await f.create("b");
  assert.equal(cond(b, "Pending"), "True/NotAvailable");
  // Unspecified status accepts leases too
  await f.addExporter("e2", { board: "rpi4" }, { status: "Unspecified" });
  assert.equal(f.lease("b").exporter, "e2");
});

Deno.test("candidates: heartbeats that change nothing for scheduling skip the pass", async () => {
  const f = fixture();
  await f.addExporter("e1", { board: "rpi4" }, { status: "LeaseReady" });
  const a = await f.create("a");
  assert.equal(cond(a, "Pending"), "True/NotReady");
  f.clock.advance(10_000);
  const again = await f.addExporter("e1", { board: "rpi4" }, {
    status: "LeaseReady",
    statusMessage: "x",
  });
  assert.deepEqual(again, []);
  assert.equal(f.store.exporters.get("lab", "e1")?.statusMessage, "x");
  assert.equal(f.store.exporters.get("lab", "e1")?.lastSeen, T0 + 10_000);
  // a label change matters
  const relabelled = await f.addExporter("e1", { board: "imx8" }, { status: "LeaseReady" });
  assert.deepEqual(names(relabelled), ["a"]);
  assert.equal(cond(f.lease("a"), "Unsatisfiable"), "True/NoAccess");
});

Deno.test("candidates: the default online test is lastSeen within 60 s and not Offline", async () => {
  const clock = new FakeClock(T0);
  const store = new MemoryStore();
  const s = new Scheduler(store, { clock });
  await s.exporterUpdated(exporterRecord("e1", { board: "rpi4" }, T0 - 61_000));
  const request = { namespace: "lab", client: "c", selector: "board=rpi4", duration: HOUR };
  const a = (await s.createLease({ ...request, name: "a" })).lease;
  assert.equal(cond(a, "Pending"), "True/Offline");
  // a heartbeat: seen now, so online
  const changed = await s.exporterUpdated(exporterRecord("e1", { board: "rpi4" }, T0));
  assert.deepEqual(names(changed), ["a"]);
  assert.equal(store.leases.get("lab", "a")?.exporter, "e1");
  // exactly 60 s later it still counts as online; reporting Offline does not
  clock.advance(60_000);
  await s.releaseLease("lab", "a");
  const b = (await s.createLease({ ...request, name: "b" })).lease;
  assert.equal(b.exporter, "e1");
  await s.releaseLease("lab", "b");
  await s.exporterUpdated(
    exporterRecord("e1", { board: "rpi4" }, clock.now(), { status: "Offline" }),
  );
  const c = (await s.createLease({ ...request, name: "c" })).lease;
  assert.equal(cond(c, "Pending"), "True/Offline");
});

Deno.test("candidates: a lease with a choice leaves the board another waiter needs", async () => {
  const f = fixture();
  f.offline.add("e1").add("e2");
  await f.addExporter("e1", { board: "rpi4", usb: "yes" });
  await f.addExporter("e2", { board: "rpi4" });
  await f.create("any"); // could use e1 or e2
  await f.create("usb", { selector: "usb=yes" }); // only e1
  f.offline.clear();
  const changed = await f.scheduler.reconcile();
  assert.deepEqual(names(changed), ["any", "usb"]);
  assert.equal(f.lease("any").exporter, "e2");
  assert.equal(f.lease("usb").exporter, "e1");
});

Deno.test("candidates: leases and exporters of other namespaces do not mix", async () => {
  const f = fixture();
  await f.addExporter("e1");
  await f.scheduler.exporterUpdated({
    ...exporterRecord("e9", { board: "rpi4" }, T0),
    namespace: "other",
  });
  await f.create("a");
  const b = await f.create("b");
  assert.equal(cond(b, "Pending"), "True/NotAvailable");
  const c = (await f.scheduler.createLease({
    namespace: "other",
    client: "x",
    selector: "board=rpi4",
    duration: HOUR,
    name: "b",
  })).lease;
  assert.equal(c.exporter, "e9");
  assert.equal(f.scheduler.activeLease("other", "e9")?.name, "b");
  assert.equal(f.scheduler.activeLease("lab", "e1")?.name, "a");
  assert.equal(f.scheduler.activeLease("lab", "e9"), undefined);
});
