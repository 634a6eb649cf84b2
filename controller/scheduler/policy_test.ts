/**
 * ExporterAccessPolicy in the scheduler: who may lease what, maximum duration, priority order of
 * the queue (with position and wait estimate), spot leases giving way to non-spot ones.
 */
import assert from "node:assert/strict";
import type { AccessPolicy } from "./policy.ts";
import { parseAccessPolicies } from "./policy_load.ts";
import { PREEMPTED_MESSAGE } from "./policy_spot.ts";
import { cond, type Fixture, fixture, HOUR, MIN, names, T0 } from "./testing.ts";

const POLICY = `
apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterAccessPolicy
metadata: { name: boards, namespace: lab }
spec:
  exporterSelector: { matchLabels: { board: rpi4 } }
  policies:
    - description: CI first
      priority: 20
      from: [{ clientSelector: { matchLabels: { team: ci } } }]
    - description: developers, up to 2h
      priority: 10
      maximumDuration: 2h
      from: [{ clientSelector: { matchLabels: { team: dev } } }]
    - description: anyone else, on spot
      spotAccess: true
      from: [{ clientSelector: { matchLabels: { team: guest } } }]
`;

/** A scheduler under POLICY (or `yaml`) with clients `client-<name>` labelled `team=<team>`. */
async function policyFixture(
  teams: Record<string, string>,
  yaml = POLICY,
): Promise<Fixture> {
  const policies: AccessPolicy[] = parseAccessPolicies(yaml, "policy.yaml");
  const f = fixture({ policies: () => policies });
  for (const [name, team] of Object.entries(teams)) {
    await f.store.clients.put({
      namespace: "lab",
      name: `client-${name}`,
      uid: `uid-${name}`,
      labels: { team },
      createdAt: T0,
    });
  }
  return f;
}

Deno.test("policy: a client no rule names is refused NoAccess with the rules' descriptions", async () => {
  const f = await policyFixture({ x: "sales" });
  await f.addExporter("e1");
  const x = await f.create("x");
  assert.equal(x.exporter, undefined);
  assert.equal(cond(x, "Unsatisfiable"), "True/NoAccess");
  assert.equal(
    x.conditions.find((c) => c.type === "Unsatisfiable")!.message,
    "While there are 1 exporters matching the selector, none of them are approved by any " +
      "policy for your client. Matching policies: CI first; developers, up to 2h; " +
      "anyone else, on spot",
  );
  assert.equal(x.ended, true);
});

Deno.test("policy: exporters no policy selects are out of reach; other namespaces are unaffected", async () => {
  const f = await policyFixture({ c: "ci" });
  await f.addExporter("jetson", { board: "jetson" });
  const c = await f.create("c", { selector: "board=jetson" });
  assert.equal(cond(c, "Unsatisfiable"), "True/NoAccess");
  assert.match(
    c.conditions.at(-1)!.message,
    /^While there are 1 exporters matching the selector, none of them are approved by any policy for your client$/,
  );
  // a namespace without policies: every candidate approved, as upstream
  await f.scheduler.exporterUpdated({
    ...f.store.exporters.get("lab", "jetson")!,
    namespace: "other",
  });
  const o = await f.create("o", { namespace: "other", selector: "board=jetson" });
  assert.equal(o.exporter, "jetson");
});

Deno.test("policy: a lease longer than the rule's maximumDuration is refused, not clamped", async () => {
  const f = await policyFixture({ long: "dev", ok: "dev", span: "dev" });
  await f.addExporter("e1");
  const long = await f.create("long", { duration: 2 * HOUR + 1 });
  assert.equal(cond(long, "Unsatisfiable"), "True/NoAccess");
  assert.equal(long.effectiveEndTime, T0);
  // begin/end without a duration: the span counts (upstream's requested duration)
  const span = await f.create("span", {
    duration: undefined,
    beginTime: T0 + MIN,
    endTime: T0 + MIN + 3 * HOUR,
  });
  assert.equal(cond(span, "Pending"), "True/Scheduled"); // judged when due, as upstream
  f.clock.advance(MIN);
  await f.scheduler.reconcile();
  assert.equal(cond(f.lease("span"), "Unsatisfiable"), "True/NoAccess");
  const ok = await f.create("ok", { duration: 2 * HOUR });
  assert.equal(ok.exporter, "e1");
  assert.equal(ok.effectiveEndTime, T0 + MIN + 2 * HOUR);
  assert.equal(ok.priority, 10);
  assert.equal(ok.spotAccess, undefined);
});

Deno.test("policy: the queue serves higher priority first, FIFO within a priority; positions and estimates follow", async () => {
  const f = await policyFixture({ holder: "dev", dev1: "dev", dev2: "dev", ci: "ci" });
  await f.addExporter("e1");
  const holder = await f.create("holder", { duration: 30 * MIN });
  assert.equal(holder.exporter, "e1");
  f.clock.advance(MIN);
  await f.create("dev1", { duration: 20 * MIN });
  f.clock.advance(MIN);
  await f.create("dev2", { duration: 10 * MIN });
  f.clock.advance(MIN);
  const ci = await f.create("ci", { duration: 40 * MIN });
  assert.equal(cond(ci, "Pending"), "True/NotAvailable");
  // holder ends at T0+30m; now is T0+3m
  assert.deepEqual(f.scheduler.queueInfo("lab", "ci"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 27 * MIN,
  });
  assert.deepEqual(f.scheduler.queueInfo("lab", "dev1"), {
    position: 2,
    ahead: ["ci"],
    estimatedWaitMs: 67 * MIN,
  });
  assert.deepEqual(f.scheduler.queueInfo("lab", "dev2"), {
    position: 3,
    ahead: ["ci", "dev1"],
    estimatedWaitMs: 87 * MIN,
  });
  const released = await f.scheduler.releaseLease("lab", "holder");
  assert.deepEqual(names(released.changed), ["holder", "ci"]);
  assert.equal(f.lease("ci").exporter, "e1");
  assert.equal(f.lease("ci").priority, 20);
  await f.scheduler.releaseLease("lab", "ci");
  assert.equal(f.lease("dev1").exporter, "e1");
  assert.equal(f.lease("dev2").exporter, undefined);
});

Deno.test("policy: a non-spot lease preempts a spot lease; the spot holder sees Ready=False/Preempted", async () => {
  const f = await policyFixture({ g1: "guest", g2: "guest", ci: "ci" });
  await f.addExporter("e1");
  const g1 = await f.create("g1");
  assert.equal(g1.exporter, "e1");
  assert.equal(g1.spotAccess, true);
  // another spot lease waits; it never preempts a spot holder
  f.clock.advance(MIN);
  const g2 = await f.create("g2");
  assert.equal(cond(g2, "Pending"), "True/NotAvailable");
  assert.equal(f.lease("g1").ended, false);
  f.clock.advance(MIN);
  const result = await f.scheduler.createLease({
    namespace: "lab",
    client: "client-ci",
    selector: "board=rpi4",
    duration: HOUR,
    name: "ci",
  });
  assert.deepEqual(names(result.changed), ["g1", "ci"]);
  const ended = f.lease("g1");
  assert.equal(ended.ended, true);
  assert.equal(ended.effectiveEndTime, T0 + 2 * MIN);
  assert.equal(cond(ended, "Ready"), "False/Preempted");
  assert.equal(ended.conditions.find((c) => c.type === "Ready")!.message, PREEMPTED_MESSAGE);
  assert.equal(result.lease.exporter, "e1");
  assert.equal(result.lease.spotAccess, undefined);
  assert.equal(result.lease.priority, 20);
  // the waiting spot lease stays behind the non-spot holder, with an estimate from its end
  assert.deepEqual(f.scheduler.queueInfo("lab", "g2"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
});

Deno.test("policy: a non-spot lease takes a spot holder's exporter, not a regular one's; a scheduled one expects to at its begin", async () => {
  const f = await policyFixture({ g: "guest", c1: "ci", c2: "ci", c3: "ci" });
  await f.addExporter("e1");
  await f.addExporter("e2");
  await f.create("c1", { duration: 30 * MIN });
  await f.create("g", { duration: HOUR });
  assert.equal(f.lease("g").spotAccess, true);
  const c3 = await f.create("c3", {
    duration: undefined,
    beginTime: T0 + 10 * MIN,
    endTime: T0 + HOUR,
  });
  assert.equal(c3.exporter, undefined);
  assert.equal(f.lease("g").ended, false);
  assert.deepEqual(f.scheduler.queueInfo("lab", "c3"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 10 * MIN,
  });
  const c2 = await f.create("c2", { duration: 10 * MIN });
  assert.equal(f.lease("g").ended, true);
  assert.equal(c2.exporter, f.lease("g").exporter);
  assert.equal(f.lease("c1").ended, false);
  // c3 now waits for c2 (10 min) rather than c1 (30 min)
  assert.equal(f.scheduler.queueInfo("lab", "c3")?.estimatedWaitMs, 10 * MIN);
});

Deno.test("policy: with an exporter still cleaning up, a non-spot lease waits for it instead of preempting", async () => {
  const f = await policyFixture({ g: "guest", ci: "ci" });
  await f.addExporter("e1");
  await f.addExporter("e2", { board: "rpi4" }, { status: "AfterLeaseHook" });
  await f.create("g");
  assert.equal(f.lease("g").exporter, "e1");
  const ci = await f.create("ci");
  assert.equal(cond(ci, "Pending"), "True/NotReady");
  assert.equal(f.lease("g").ended, false);
  // the cleanup's end is unknown: the estimate is the spot lease's own end
  assert.deepEqual(f.scheduler.queueInfo("lab", "ci"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: HOUR,
  });
  await f.addExporter("e2");
  assert.equal(f.lease("ci").exporter, "e2");
  assert.equal(f.lease("g").ended, false);
});

Deno.test("policy: the best rule wins per exporter: non-spot over spot, then higher priority", async () => {
  const yaml = `
apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterAccessPolicy
metadata: { name: a, namespace: lab }
spec:
  policies:
    - priority: 50
      spotAccess: true
      from: [{ clientSelector: {} }]
    - priority: 1
      from: [{ clientSelector: { matchLabels: { team: dev } } }]
---
apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterAccessPolicy
metadata: { name: b, namespace: lab }
spec:
  exporterSelector: { matchLabels: { fast: "yes" } }
  policies:
    - priority: 7
      from: [{ clientSelector: { matchExpressions: [{ key: team, operator: In, values: [dev, qa] }] } }]
`;
  const f = await policyFixture({ d: "dev", q: "qa" }, yaml);
  await f.addExporter("slow", { board: "rpi4" });
  await f.addExporter("fast", { board: "rpi4", fast: "yes" });
  const d = await f.create("d");
  assert.equal(d.exporter, "fast");
  assert.equal(d.priority, 7);
  assert.equal(d.spotAccess, undefined);
  const q = await f.create("q");
  assert.equal(q.exporter, "slow");
  assert.equal(q.spotAccess, true);
  assert.equal(q.priority, 50);
});

Deno.test("policy: a reload takes effect at the next pass", async () => {
  let policies: AccessPolicy[] = [];
  const f = fixture({ policies: () => policies });
  await f.addExporter("e1");
  await f.create("a");
  policies = parseAccessPolicies(POLICY, "policy.yaml");
  const b = await f.create("b");
  assert.equal(cond(b, "Unsatisfiable"), "True/NoAccess");
});

Deno.test("policy: a spot-only lease queues behind non-spot ones whatever its priority", async () => {
  const yaml = `
apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterAccessPolicy
metadata: { name: a, namespace: lab }
spec:
  policies:
    - priority: 99
      spotAccess: true
      from: [{ clientSelector: { matchLabels: { team: guest } } }]
    - priority: 1
      from: [{ clientSelector: { matchLabels: { team: dev } } }]
`;
  const f = await policyFixture({ holder: "dev", g: "guest", d: "dev" }, yaml);
  await f.addExporter("e1");
  await f.create("holder", { duration: 10 * MIN });
  f.clock.advance(MIN);
  await f.create("g", { duration: 10 * MIN });
  f.clock.advance(MIN);
  await f.create("d", { duration: 20 * MIN });
  assert.deepEqual(f.scheduler.queueInfo("lab", "d"), {
    position: 1,
    ahead: [],
    estimatedWaitMs: 8 * MIN,
  });
  assert.deepEqual(f.scheduler.queueInfo("lab", "g"), {
    position: 2,
    ahead: ["d"],
    estimatedWaitMs: 28 * MIN,
  });
  // the exporter goes to d, never to g for a moment before d preempts it
  const released = await f.scheduler.releaseLease("lab", "holder");
  assert.deepEqual(names(released.changed), ["holder", "d"]);
  assert.equal(f.lease("d").exporter, "e1");
  assert.equal(cond(f.lease("g"), "Pending"), "True/NotAvailable");
});

Deno.test("policy: an exporter whose hook failed is not waited for: the spot lease is preempted", async () => {
  const f = await policyFixture({ g: "guest", ci: "ci" });
  await f.addExporter("e1");
  await f.addExporter("e2", { board: "rpi4" }, { status: "AfterLeaseHookFailed" });
  await f.create("g");
  const ci = await f.create("ci");
  assert.equal(ci.exporter, "e1");
  assert.equal(cond(f.lease("g"), "Ready"), "False/Preempted");
});
