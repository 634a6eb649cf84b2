import assert from "node:assert/strict";
import fc from "fast-check";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { fromValue, type JsonValue, toValue } from "./value.ts";

const jsonValue: fc.Arbitrary<JsonValue> = fc.jsonValue() as fc.Arbitrary<JsonValue>;

function wireTrip(input: unknown): JsonValue {
  return fromValue(fromBinary(ValueSchema, toBinary(ValueSchema, toValue(input))));
}

Deno.test("toValue() and fromValue() round-trip random JSON values through the wire", () => {
  fc.assert(
    fc.property(jsonValue, (value) => {
      assert.deepEqual(wireTrip(value), value);
    }),
    { numRuns: 500 },
  );
});

Deno.test("toValue() keeps a __proto__ key as data", () => {
  const input = JSON.parse('{"__proto__": {"x": 1}, "y": 2}');
  const output = wireTrip(input) as Record<string, unknown>;
  assert.deepEqual(Object.keys(output), ["__proto__", "y"]);
  assert.equal(Object.getPrototypeOf(output), Object.prototype);
});

Deno.test("toValue() keeps doubles exactly, including integers up to 2^53", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
      assert.equal(Object.is(wireTrip(n), n) || (n === 0 && wireTrip(n) === 0), true);
    }),
  );
  assert.equal(wireTrip(2 ** 53), 2 ** 53);
  assert.equal(wireTrip(12345678901234567890n), 12345678901234567000);
});

Deno.test("toValue() encodes NaN as null and rejects infinities", () => {
  assert.equal(wireTrip(NaN), null);
  assert.throws(() => toValue(Infinity), RangeError);
  assert.throws(() => toValue([1, -Infinity]), RangeError);
});

Deno.test("toValue() sends bytes as UTF-8 text and refuses invalid UTF-8", () => {
  assert.equal(wireTrip(new TextEncoder().encode("héllo")), "héllo");
  assert.throws(() => toValue(new Uint8Array([0xff, 0xfe])), /not valid UTF-8/);
});

Deno.test("toValue() sends dates, UUIDs, sets, maps and toJSON objects as upstream does", () => {
  const date = new Date("2026-11-22T10:00:00.000Z");
  const uuid = crypto.randomUUID();
  assert.deepEqual(
    wireTrip({
      date,
      uuid,
      set: new Set([1, 2]),
      map: new Map([[1, "a"]]),
      model: { toJSON: () => ({ voltage: 5, current: 2 }) },
      skipped: undefined,
    }),
    {
      date: "2026-11-22T10:00:00.000Z",
      uuid,
      set: [1, 2],
      map: { "1": "a" },
      model: { voltage: 5, current: 2 },
    },
  );
});

Deno.test("toValue() rejects functions, symbols and cycles", () => {
  assert.throws(() => toValue(() => 1), TypeError);
  assert.throws(() => toValue(Symbol("x")), TypeError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => toValue(cyclic), /cyclic/);
});

Deno.test("fromValue() decodes an unset value as null", () => {
  assert.equal(fromValue(undefined), null);
  assert.equal(fromValue(fromBinary(ValueSchema, new Uint8Array())), null);
});
