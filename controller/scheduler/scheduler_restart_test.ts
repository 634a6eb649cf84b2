import assert from "node:assert/strict";
import { FileStore } from "../store/file_store.ts";
import { FakeClock } from "./clock.ts";
import { cond, fixture, HOUR, MIN, names, T0 } from "./testing.ts";

Deno.test("restart: a reopened FileStore keeps leases, conditions and the queue order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-sched-restart-" });
  try {
    const clock = new FakeClock(T0);
    const first = fixture({ store: await FileStore.open(dir, { compactAfter: 7 }), clock });
    await first.addExporter("e1");
    await first.create("a");
    clock.advance(MIN);
    await first.create("b");
    clock.advance(MIN);
    await first.create("c");
    await first.create("s", { beginTime: T0 + 3 * HOUR });
    const before = first.store.leases.list();
    await first.store.close();

    clock.advance(10 * MIN);
    const second = fixture({ store: await FileStore.open(dir), clock });
    try {
      assert.deepEqual(second.store.leases.list(), before);
      assert.equal(second.scheduler.nextWakeup(), T0 + HOUR);
      assert.deepEqual(second.scheduler.queueInfo("lab", "c"), {
        position: 2,
        ahead: ["b"],
        estimatedWaitMs: 2 * HOUR - 12 * MIN,
      });
      // FIFO survives: b (created first) gets the board when a goes
      const { changed } = await second.scheduler.releaseLease("lab", "a");
      assert.deepEqual(names(changed), ["a", "b"]);
      assert.equal(cond(second.lease("c"), "Pending"), "True/NotAvailable");
      // the sequence continues after the persisted one
      const d = await second.create("d");
      assert.equal(d.sequence, 5);
      assert.deepEqual(second.scheduler.queueInfo("lab", "d")?.ahead, ["c"]);
    } finally {
      await second.store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
