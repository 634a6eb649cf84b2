import assert from "node:assert/strict";
import { SchedulerError } from "./errors.ts";
import { leaseLabels } from "./labels.ts";
import { fixture, names } from "./testing.ts";

Deno.test("list: only active by default, by client, by lease labels and by tags", async () => {
  const f = fixture();
  await f.addExporter("e1", { board: "rpi4", site: "lab1" });
  await f.create("a", { client: "alice", tags: { team: "kernel" } });
  await f.create("b", {
    client: "bob",
    selector: "board=rpi4,site in (lab1)",
    tags: { team: "qa" },
  });
  await f.create("c", { client: "alice" });
  await f.scheduler.releaseLease("lab", "a");
  const list = (o: Parameters<typeof f.scheduler.listLeases>[1] = {}) =>
    names(f.scheduler.listLeases("lab", o));
  assert.deepEqual(list(), ["b", "c"]);
  assert.deepEqual(list({ onlyActive: false }), ["a", "b", "c"]);
  assert.deepEqual(list({ onlyActive: false, client: "alice" }), ["a", "c"]);
  assert.deepEqual(list({ onlyActive: false, filter: "jumpstarter.dev/lease-ended=true" }), ["a"]);
  assert.deepEqual(list({ onlyActive: false, filter: "metadata.jumpstarter.dev/team=kernel" }), [
    "a",
  ]);
  assert.deepEqual(list({ filter: "board=rpi4" }), ["b", "c"]);
  assert.deepEqual(list({ filter: "site" }), []); // `site in (lab1)` is no matchLabels entry
  assert.deepEqual(list({ onlyActive: false, tagFilter: "team in (qa,kernel)" }), ["a", "b"]);
  assert.deepEqual(list({ filter: "  " }), ["b", "c"]);
  assert.deepEqual(names(f.scheduler.listLeases("elsewhere")), []);
  const e = (() => {
    try {
      f.scheduler.listLeases("lab", { filter: "a in" });
    } catch (error) {
      return error;
    }
  })();
  assert.ok(e instanceof SchedulerError);
  assert.equal(e.code, "InvalidArgument");
  assert.match(e.message, /^invalid filter: invalid label selector "a in"/);
  assert.deepEqual(leaseLabels(f.lease("a")), {
    board: "rpi4",
    "metadata.jumpstarter.dev/team": "kernel",
    "jumpstarter.dev/lease-ended": "true",
  });
});
