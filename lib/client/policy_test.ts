import assert from "node:assert/strict";
import { isAllowed, policyFromEnv, policyToEnv, UNSAFE_POLICY } from "./policy.ts";

const POWER = "jumpstarter_driver_power.client.PowerClient";

Deno.test("isAllowed() matches globs against the whole class path", () => {
  assert.equal(isAllowed(POWER, { allow: ["jumpstarter_driver_*"], unsafe: false }), true);
  assert.equal(isAllowed(POWER, { allow: ["jumpstarter_driver_power.*"], unsafe: false }), true);
  assert.equal(isAllowed(POWER, { allow: ["jumpstarter_driver_power"], unsafe: false }), false);
  assert.equal(isAllowed(POWER, { allow: ["Jumpstarter_driver_*"], unsafe: false }), false);
  assert.equal(isAllowed(POWER, { allow: ["jumpstarter_driver_powe?.*"], unsafe: false }), true);
  assert.equal(isAllowed(POWER, { allow: ["jumpstarter_driver_[!p]*"], unsafe: false }), false);
  assert.equal(isAllowed(POWER, { allow: ["jumpstarter_driver_[op]*"], unsafe: false }), true);
});

Deno.test("isAllowed() allows nothing by default and everything when unsafe", () => {
  assert.equal(isAllowed(POWER, { allow: [], unsafe: false }), false);
  assert.equal(isAllowed(POWER, UNSAFE_POLICY), true);
  assert.equal(isAllowed(POWER, { allow: ["UNSAFE"], unsafe: false }), true);
});

Deno.test("isAllowed() treats regex characters in globs literally", () => {
  assert.equal(isAllowed("a+b.c", { allow: ["a+b.c"], unsafe: false }), true);
  assert.equal(isAllowed("aab.c", { allow: ["a+b.c"], unsafe: false }), false);
  assert.equal(isAllowed("a.bXc", { allow: ["a.b.c"], unsafe: false }), false);
});

Deno.test("policyFromEnv() reads JMP_DRIVERS_ALLOW and JMP_DRIVERS_UNSAFE", () => {
  assert.equal(policyFromEnv({}), undefined);
  assert.deepEqual(policyFromEnv({ JMP_DRIVERS_ALLOW: "a.*, b.*" }), {
    allow: ["a.*", "b.*"],
    unsafe: false,
  });
  assert.equal(policyFromEnv({ JMP_DRIVERS_ALLOW: "UNSAFE" })?.unsafe, true);
  assert.equal(policyFromEnv({ JMP_DRIVERS_UNSAFE: "true" })?.unsafe, true);
  assert.equal(policyToEnv(UNSAFE_POLICY), "UNSAFE");
  assert.equal(policyToEnv({ allow: ["a.*", "b.*"], unsafe: false }), "a.*,b.*");
});
