import assert from "node:assert/strict";
import { uuidv7, uuidv7Time } from "./uuid.ts";

Deno.test("uuidv7: layout, timestamp and order", () => {
  const now = Date.UTC(2025, 5, 1, 12, 0, 0, 123);
  const id = uuidv7(now);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(uuidv7Time(id), now);
  assert.equal(uuidv7(now, new Uint8Array(16)), "01972b5c-ee7b-7000-8000-000000000000");
  assert.equal(uuidv7(now, new Uint8Array(16).fill(255)), "01972b5c-ee7b-7fff-bfff-ffffffffffff");
  assert.ok(uuidv7(now) < uuidv7(now + 1));
  assert.notEqual(uuidv7(now), uuidv7(now));
  assert.equal(uuidv7Time("not-a-uuid"), undefined);
});
