import assert from "node:assert/strict";
import { energyReport, plugTopics } from "./topics.ts";

Deno.test("plugTopics derives telemetry and status topics from Tasmota's FullTopic", () => {
  assert.deepEqual(plugTopics("cmnd/plug_1/POWER", "stat/plug_1/POWER"), {
    command: "cmnd/plug_1/POWER",
    state: "stat/plug_1/POWER",
    telemetry: "tele/plug_1/SENSOR",
    statusCommand: "cmnd/plug_1/STATUS",
    statusReply: "stat/plug_1/STATUS10",
    relay: 0,
  });
  const custom = plugTopics("lab/plug_2/cmnd/POWER2", "lab/plug_2/stat/POWER2");
  assert.equal(custom.telemetry, "lab/plug_2/tele/SENSOR");
  assert.equal(custom.statusReply, "lab/plug_2/stat/STATUS10");
  assert.equal(custom.relay, 1);
  const bare = plugTopics("switch", "switch_state");
  assert.equal(bare.telemetry, undefined);
  assert.equal(bare.statusCommand, undefined);
  assert.equal(plugTopics("a/POWER", "b/POWER", "meters/a").telemetry, "meters/a");
});

Deno.test("energyReport reads telemetry, status answers and multi-channel meters", () => {
  const energy = { Voltage: 231, Current: 0.25, Power: 58 };
  assert.deepEqual(energyReport(JSON.stringify({ ENERGY: energy })), {
    kind: "reading",
    reading: { voltage: 231, current: 0.25 },
  });
  assert.deepEqual(energyReport(JSON.stringify({ StatusSNS: { ENERGY: energy } })), {
    kind: "reading",
    reading: { voltage: 231, current: 0.25 },
  });
  const dual = JSON.stringify({ ENERGY: { Voltage: [230, 230], Current: [0.1, 0.4] } });
  assert.deepEqual(energyReport(dual, 1), {
    kind: "reading",
    reading: { voltage: 230, current: 0.4 },
  });
  assert.deepEqual(energyReport(JSON.stringify({ StatusSNS: { Time: "t" } })), {
    kind: "no-meter",
  });
  assert.deepEqual(energyReport("ON"), { kind: "other" });
  assert.deepEqual(energyReport("[1]"), { kind: "other" });
});
