/** Queue estimates stay exact under access policies: priorities, spot leases and preemption. */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { AccessPolicy } from "./policy.ts";
import { parseSelector } from "./selector.ts";
import { fixture, MIN, predictedWaits, runUntilIdle, T0 } from "./testing.ts";

const TEAMS = ["a", "b", "c"] as const;

const rule = fc.record({
  priority: fc.integer({ min: 0, max: 3 }),
  spotAccess: fc.boolean(),
  // present in about one rule out of three, so that most leases are approved
  maximumDuration: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: fc.integer({ min: 20, max: 60 }), weight: 1 },
  ),
});

const leaseSpec = fc.record({
  team: fc.constantFrom(...TEAMS),
  selector: fc.constantFrom("board=rpi4", "board=imx8", "board in (imx8,rpi4)"),
  duration: fc.integer({ min: 1, max: 60 }),
  beginIn: fc.option(fc.integer({ min: 1, max: 90 }), { nil: undefined, freq: 3 }),
  at: fc.integer({ min: 0, max: 5 }),
});

Deno.test("property: under access policies, queue estimates are exact when no lease is released early", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom("rpi4", "imx8"), { minLength: 1, maxLength: 3 }),
      fc.tuple(rule, rule, rule),
      fc.array(leaseSpec, { minLength: 1, maxLength: 10 }),
      async (boards, rules, specs) => {
        const policies: AccessPolicy[] = [{
          namespace: "lab",
          name: "p",
          exporterSelector: parseSelector(""),
          rules: rules.map((r, i) => ({
            priority: r.priority,
            spotAccess: r.spotAccess,
            from: [parseSelector(`team=${TEAMS[i]}`)],
            ...(r.maximumDuration === undefined
              ? {}
              : { maximumDuration: r.maximumDuration * MIN }),
          })),
        }];
        const f = fixture({ policies: () => policies });
        for (const [i, board] of boards.entries()) await f.addExporter(`e${i}`, { board });
        // leases arrive over a few minutes so that spot holders exist when non-spot ones come
        for (const [i, s] of specs.entries()) {
          await f.store.clients.put({
            namespace: "lab",
            name: `client-l${i}`,
            uid: `u${i}`,
            labels: { team: s.team },
            createdAt: T0,
          });
        }
        const arrivals = specs.map((s, i) => ({ s, i })).sort((x, y) => x.s.at - y.s.at);
        for (const { s, i } of arrivals) {
          if (T0 + s.at * MIN > f.clock.now()) {
            f.clock.set(T0 + s.at * MIN);
            await f.scheduler.reconcile();
          }
          await f.create(`l${i}`, {
            selector: s.selector,
            duration: s.duration * MIN,
            beginTime: s.beginIn === undefined ? undefined : f.clock.now() + s.beginIn * MIN,
          });
        }
        const now = f.clock.now();
        const predicted = predictedWaits(f);
        await runUntilIdle(f);
        for (const [name, wait] of predicted) {
          const lease = f.lease(name);
          if (wait === undefined) {
            assert.equal(
              lease.effectiveBeginTime,
              undefined,
              `${name} was predicted never to start`,
            );
          } else {
            assert.equal(lease.effectiveBeginTime, now + wait, name);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
