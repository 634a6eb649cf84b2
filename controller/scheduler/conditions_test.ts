import assert from "node:assert/strict";
import type { LeaseCondition } from "../model.ts";
import { getCondition, isConditionTrue, setCondition } from "./conditions.ts";

Deno.test("conditions: keyed by type, transition time moves only with the status", () => {
  const c: LeaseCondition[] = [];
  setCondition(c, { type: "Pending", status: "True", reason: "NotAvailable", message: "a" }, 10);
  setCondition(c, { type: "Ready", status: "True", reason: "Ready", message: "b" }, 20);
  setCondition(c, { type: "Pending", status: "True", reason: "Offline", message: "c" }, 30);
  assert.deepEqual(c.map((x) => x.type), ["Pending", "Ready"]);
  assert.deepEqual(getCondition(c, "Pending"), {
    type: "Pending",
    status: "True",
    reason: "Offline",
    message: "c",
    lastTransitionTime: 10,
  });
  setCondition(c, { type: "Ready", status: "False", reason: "Expired", message: "d" }, 40);
  assert.equal(getCondition(c, "Ready")?.lastTransitionTime, 40);
  assert.equal(isConditionTrue(c, "Ready"), false);
  assert.equal(isConditionTrue(c, "Pending"), true);
  assert.equal(isConditionTrue(c, "Invalid"), false);
});
