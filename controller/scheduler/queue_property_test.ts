import assert from "node:assert/strict";
import fc from "fast-check";
import { fixture, MIN, predictedWaits, runUntilIdle, T0 } from "./testing.ts";

const boardLabels = fc.record({
  board: fc.constantFrom("rpi4", "imx8"),
  usb: fc.constantFrom("yes", "no"),
});

/** Present in about one case out of four. */
function sometimes<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
}

const leaseSpec = fc.record({
  selector: fc.constantFrom(
    "board=rpi4",
    "board=imx8",
    "usb=yes",
    "board in (imx8,rpi4)",
    "@e0",
    "@e1",
  ),
  duration: fc.integer({ min: 1, max: 60 }),
  beginIn: sometimes(fc.integer({ min: 1, max: 90 })),
  endIn: sometimes(fc.integer({ min: 5, max: 240 })),
});

Deno.test("property: queue estimates are exact when every lease runs to its end", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(boardLabels, { minLength: 1, maxLength: 3 }),
      fc.array(leaseSpec, { minLength: 1, maxLength: 12 }),
      async (boards, specs) => {
        const f = fixture();
        for (const [i, labels] of boards.entries()) await f.addExporter(`e${i}`, labels);
        for (const [i, s] of specs.entries()) {
          const named = s.selector.startsWith("@") ? s.selector.slice(1) : undefined;
          const beginTime = s.beginIn === undefined ? undefined : T0 + s.beginIn * MIN;
          let endTime = s.endIn === undefined ? undefined : T0 + s.endIn * MIN;
          if (endTime !== undefined && beginTime !== undefined) endTime = undefined;
          await f.create(`l${i}`, {
            selector: named === undefined ? s.selector : "",
            exporterName: named,
            duration: s.duration * MIN,
            beginTime,
            endTime,
          });
        }
        const predicted = predictedWaits(f);
        await runUntilIdle(f);
        for (const [name, wait] of predicted) {
          const lease = f.lease(name);
          if (wait === undefined) {
            assert.equal(
              lease.effectiveBeginTime,
              undefined,
              `${name} was predicted to expire first`,
            );
          } else {
            assert.equal(lease.effectiveBeginTime, T0 + wait, name);
          }
          assert.equal(lease.ended, true);
        }
      },
    ),
    { numRuns: 300 },
  );
});
