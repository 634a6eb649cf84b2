/**
 * A lease pass that fails (an etcd hiccup, a write another replica beat) is tried again, and
 * while a lease waits for a board the deciding controller keeps looking: a failed or missed
 * wake-up delays a grant by {@linkcode RECHECK_MS} instead of leaving the lease queued for good.
 */
import assert from "node:assert/strict";
import { eventually } from "@jumpstarter/lib/testing";
import { Authority, generateKeyMaterial } from "./auth.ts";
import { ControllerCore, type LeaseEngine, RECHECK_MS } from "./core.ts";
import { schedulerEngine } from "./engine.ts";
import type { LeaseRecord } from "./model.ts";
import { MemoryStore } from "./store/mod.ts";
import { exporterRecord } from "./scheduler/testing.ts";

/** A core whose engine's passes can be made to fail, counting them. */
async function flakyCore(failures: { left: number }) {
  const passes = { count: 0 };
  const core = new ControllerCore({
    store: new MemoryStore(),
    authority: await Authority.create(await generateKeyMaterial("test")),
    endpoint: "localhost:0",
    caBase64: "",
    makeEngine: (core): LeaseEngine => {
      const engine = schedulerEngine(core);
      return {
        ...engine,
        reconcile: (): Promise<LeaseRecord[]> => {
          passes.count++;
          if (failures.left > 0) {
            failures.left--;
            return Promise.reject(new Error("etcdserver: request timed out"));
          }
          return engine.reconcile();
        },
      };
    },
  });
  return { core, passes };
}

const WAIT = { timeoutMs: 10 * RECHECK_MS, intervalMs: 20 };

Deno.test("a failed lease pass is tried again", async () => {
  const failures = { left: 1 };
  const { core, passes } = await flakyCore(failures);
  try {
    await core.reconcile();
    assert.equal(passes.count, 1);
    await eventually("the failed pass to be tried again", () => passes.count >= 2, WAIT);
    assert.equal(failures.left, 0);
  } finally {
    core.close();
  }
});

Deno.test("a lease waiting for a board is looked at again without any trigger", async () => {
  const { core, passes } = await flakyCore({ left: 0 });
  try {
    // the only board that matches is offline: the lease waits for it
    await core.store.exporters.put(
      exporterRecord("bench", { board: "a" }, Date.now(), { status: "Offline", lastSeen: 0 }),
    );
    const { lease } = await core.engine.create({
      namespace: "lab",
      name: "queued",
      client: "alice",
      selector: "board=a",
      duration: 60_000,
    });
    assert.equal(lease.ended, false, JSON.stringify(lease.conditions));
    await core.reconcile();
    const seen = passes.count;
    await eventually("another pass while the lease waits", () => passes.count > seen, WAIT);
  } finally {
    core.close();
  }
});
