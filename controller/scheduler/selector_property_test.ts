import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatRequirement,
  formatSelector,
  makeSelector,
  matches,
  type Operator,
  parseSelector,
  type Requirement,
  SelectorSyntaxError,
} from "./selector.ts";
import { canonicalSelector, fromLabelSelector, toLabelSelector } from "./selector_convert.ts";

// Small pools, so that random labels often hit the selector's keys and values.
const KEYS = ["a", "b", "board", "jumpstarter.dev/name", "x.y-z_1", "in", "notin"];
const VALUES = ["", "1", "rpi4", "in", "notin", "A.b-c_d"];

const key = fc.constantFrom(...KEYS.filter((k) => k !== "in" && k !== "notin"));
const value = fc.constantFrom(...VALUES);
const operator = fc.constantFrom<Operator>(
  "Equals",
  "DoubleEquals",
  "NotEquals",
  "In",
  "NotIn",
  "Exists",
  "DoesNotExist",
);

const requirement: fc.Arbitrary<Requirement> = fc.tuple(
  key,
  operator,
  fc.uniqueArray(value, {
    minLength: 1,
    maxLength: 3,
  }),
).map(([k, op, vs]): Requirement => {
  switch (op) {
    case "In":
    case "NotIn":
      return { key: k, operator: op, values: vs };
    case "Exists":
    case "DoesNotExist":
      return { key: k, operator: op, values: [] };
    default:
      return { key: k, operator: op, values: [vs[0]!] };
  }
});

const selector = fc.array(requirement, { maxLength: 5 }).map((rs) => makeSelector(rs));

const labels = fc.dictionary(
  fc.constantFrom(...KEYS),
  value,
  { maxKeys: 5 },
);

Deno.test("property: format then parse gives the same selector", () => {
  fc.assert(fc.property(selector, (s) => {
    assert.deepEqual(parseSelector(formatSelector(s)), s);
  }));
});

Deno.test("property: extra whitespace between tokens changes nothing", () => {
  const space = fc.constantFrom("", " ", "  ", "\t", "\n");
  fc.assert(
    fc.property(selector, fc.array(space, { minLength: 64, maxLength: 64 }), (s, spaces) => {
      let i = 0;
      const pad = () => spaces[i++ % spaces.length]!;
      const text = s.requirements.map((r) => {
        const set = `(${pad()}${r.values.join(`${pad()},${pad()}`)}${pad()})`;
        switch (r.operator) {
          case "Exists":
            return `${pad()}${r.key}${pad()}`;
          case "DoesNotExist":
            return `${pad()}!${pad()}${r.key}${pad()}`;
          case "In":
            return `${pad()}${r.key} ${pad()}in${pad()}${set}${pad()}`;
          case "NotIn":
            return `${pad()}${r.key} ${pad()}notin${pad()}${set}${pad()}`;
          default: {
            // A value right before "," or the end may be "", which needs no text at all.
            const op = formatRequirement(r).slice(r.key.length).replace(r.values[0] ?? "", "");
            return `${pad()}${r.key}${pad()}${op}${pad()}${r.values[0]}${pad()}`;
          }
        }
      }).join(",");
      assert.equal(formatSelector(parseSelector(text)), formatSelector(s), JSON.stringify(text));
    }),
  );
});

Deno.test("property: LabelSelector conversion keeps the meaning", () => {
  fc.assert(fc.property(selector, labels, (s, l) => {
    const converted = fromLabelSelector(toLabelSelector(s));
    assert.equal(matches(converted, l), matches(s, l));
  }));
});

Deno.test("property: canonical text is a fixed point with the same meaning", () => {
  fc.assert(fc.property(selector, labels, (s, l) => {
    const canonical = canonicalSelector(formatSelector(s));
    assert.equal(canonicalSelector(canonical), canonical);
    assert.equal(matches(canonical, l), matches(s, l));
  }));
});

Deno.test("property: the empty selector matches everything; a requirement and its negation split", () => {
  fc.assert(
    fc.property(key, fc.uniqueArray(value, { minLength: 1, maxLength: 3 }), labels, (k, vs, l) => {
      assert.equal(matches("", l), true);
      const set = vs.join(",");
      assert.notEqual(matches(`${k} in (${set})`, l), matches(`${k} notin (${set})`, l));
      assert.notEqual(matches(k, l), matches(`!${k}`, l));
    }),
  );
});

Deno.test("property: junk input fails only with a positioned SelectorSyntaxError", () => {
  const junk = fc.stringMatching(/^[a-z=!(), in\-./0-9<>]{0,24}$/);
  fc.assert(
    fc.property(junk, (text) => {
      try {
        const s = parseSelector(text);
        assert.equal(canonicalSelector(formatSelector(s)), canonicalSelector(text));
      } catch (error) {
        assert.ok(error instanceof SelectorSyntaxError, String(error));
        assert.ok(error.position >= 0 && error.position <= text.length);
      }
    }),
    { numRuns: 2000 },
  );
});
