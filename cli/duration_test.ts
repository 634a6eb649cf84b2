import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads upstream's and short forms", () => {
  assert.equal(parseDuration("PT30M"), 1800e3);
  assert.equal(parseDuration("P1DT2H"), 93600e3);
  assert.equal(parseDuration("00:30:00"), 1800e3);
  assert.equal(parseDuration("1 day, 02:00:00"), 93600e3);
  assert.equal(parseDuration("2 days, 0:00:01"), 172801e3);
  assert.equal(parseDuration("90s"), 90e3);
  assert.equal(parseDuration("1h30m"), 5400e3);
  assert.equal(parseDuration("0.5h"), 1800e3);
});

Deno.test("parseDuration() rejects junk and zero with the text named", () => {
  for (const bad of ["", "soon", "P", "PT", "0s", "10", "1:2", "-5m"]) {
    assert.throws(() => parseDuration(bad), (e: Error) => e.message.includes(`"${bad}"`));
  }
});

Deno.test("formatDuration() prints compact durations", () => {
  assert.equal(formatDuration(5400e3), "1h30m");
  assert.equal(formatDuration(93600e3), "1d2h");
  assert.equal(formatDuration(400), "0s");
});
