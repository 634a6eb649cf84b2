/**
 * Fuzzer (bounded, runs in CI): arbitrary bytes and mutated encodings decoded as a
 * `google.protobuf.Value`, the way a session decodes driver-call arguments. Every input decodes or
 * is refused with an `Error` that says what was wrong; none crashes the process or hangs.
 * `FUZZ_RUNS` and `FUZZ_SEED` change the budget and the seed (printed when a run fails).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { fromValue, toValue } from "./value.ts";

const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 100_000);
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261207);

/** Decodes like the session does; returns the rejection, if any. */
function decode(bytes: Uint8Array): Error | undefined {
  try {
    fromValue(fromBinary(ValueSchema, bytes));
    return undefined;
  } catch (error) {
    assert.ok(error instanceof Error, `a non-Error was thrown: ${String(error)}`);
    assert.ok(error.message.length > 0, "an error without a message");
    return error;
  }
}

/** Valid encodings with a few bytes overwritten, cut or extended. */
const mutatedValue = fc.tuple(
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  fc.nat(),
  fc.uint8Array({ maxLength: 8 }),
).map(([json, edits, cut, tail]) => {
  const bytes = toBinary(ValueSchema, toValue(json));
  for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte;
  const kept = bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1));
  return new Uint8Array([...kept, ...tail]);
});

Deno.test(`Value decoding survives ${RUNS} arbitrary and mutated inputs`, () => {
  const started = performance.now();
  let rejected = 0;
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutatedValue), (bytes) => {
      if (decode(bytes)) rejected++;
    }),
    { numRuns: RUNS, seed: SEED },
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`${RUNS} inputs in ${seconds.toFixed(1)} s, ${rejected} rejected with an error`);
  assert.ok(rejected > 0, "no input was rejected: the fuzzer is not reaching the error paths");
});

function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A well-formed Value: `depth` lists, each holding the next, around a null. */
function nestedLists(depth: number): Uint8Array {
  const valueSizes = [2]; // the innermost Value{null_value: NULL_VALUE}
  const listSizes = [0];
  for (let level = 1; level <= depth; level++) {
    const inner = valueSizes[level - 1]!;
    listSizes.push(1 + varint(inner).length + inner);
    valueSizes.push(1 + varint(listSizes[level]!).length + listSizes[level]!);
  }
  const bytes: number[] = [];
  for (let level = depth; level >= 1; level--) {
    bytes.push(0x32, ...varint(listSizes[level]!), 0x0a, ...varint(valueSizes[level - 1]!));
  }
  bytes.push(0x08, 0x00);
  return new Uint8Array(bytes);
}

Deno.test("Values nested deeper than the stack decode or are refused, never a crash", () => {
  assert.deepEqual(fromValue(fromBinary(ValueSchema, nestedLists(3))), [[[null]]]);
  for (const depth of [1_000, 100_000]) {
    const rejection = decode(nestedLists(depth));
    if (rejection) assert.match(rejection.message, /\S/, `depth ${depth}`);
  }
});
