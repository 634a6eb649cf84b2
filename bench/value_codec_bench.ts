/**
 * Micro-benchmarks of the per-call encoding work of a DriverCall: the `google.protobuf.Value`
 * codec on a small argument object and on a 1000-item list, and the binary encoding of a whole
 * `DriverCallRequest`.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { DriverCallRequestSchema } from "@jumpstarter/protos";
import { fromValue, toValue } from "@jumpstarter/lib/wire";

const small = { voltage: 5, current: 2, label: "dut-1", enabled: true, tags: ["a", "b"] };
const list = Array.from({ length: 1000 }, (_, i) => ({ index: i, name: `item-${i}` }));
const smallValue = toValue(small);
const listValue = toValue(list);
const request = create(DriverCallRequestSchema, {
  uuid: crypto.randomUUID(),
  method: "on",
  args: [toValue(small)],
});

Deno.bench("toValue small object", { group: "small" }, () => {
  toValue(small);
});

Deno.bench("fromValue small object", { group: "small" }, () => {
  fromValue(smallValue);
});

Deno.bench("toValue 1000-item list", { group: "list" }, () => {
  toValue(list);
});

Deno.bench("fromValue 1000-item list", { group: "list" }, () => {
  fromValue(listValue);
});

Deno.bench("toBinary DriverCallRequest", () => {
  toBinary(DriverCallRequestSchema, request);
});
