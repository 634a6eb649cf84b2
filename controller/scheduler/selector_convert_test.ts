import assert from "node:assert/strict";
import { formatSelector, matches, parseSelector } from "./selector.ts";
import {
  canonicalSelector,
  formatLabelSelector,
  fromLabelSelector,
  LabelSelectorError,
  toLabelSelector,
} from "./selector_convert.ts";

Deno.test("convert: text to LabelSelector as the HEAD controller does", () => {
  assert.deepEqual(
    toLabelSelector(parseSelector("board=rpi4,arch==arm64,site!=lab2,env in (a,b),!broken,usb")),
    {
      matchLabels: { arch: "arm64", board: "rpi4" },
      matchExpressions: [
        { key: "broken", operator: "DoesNotExist", values: [] },
        { key: "env", operator: "In", values: ["a", "b"] },
        { key: "site", operator: "NotIn", values: ["lab2"] },
        { key: "usb", operator: "Exists", values: [] },
      ],
    },
  );
  assert.deepEqual(toLabelSelector(parseSelector("")), { matchLabels: {}, matchExpressions: [] });
});

Deno.test("convert: the same key twice with two values stays unsatisfiable", () => {
  const sel = parseSelector("a=1,a=2");
  const ls = toLabelSelector(sel);
  assert.deepEqual(ls, {
    matchLabels: { a: "1" },
    matchExpressions: [{ key: "a", operator: "In", values: ["2"] }],
  });
  for (const labels of [{ a: "1" }, { a: "2" }, {}]) {
    assert.equal(matches(fromLabelSelector(ls), labels), false);
    assert.equal(matches(sel, labels), false);
  }
  assert.deepEqual(toLabelSelector(parseSelector("a=1,a==1")).matchExpressions, []);
});

Deno.test("convert: LabelSelector to text as metav1.FormatLabelSelector (minus <none>)", () => {
  assert.equal(
    formatLabelSelector({
      matchLabels: { z: "1", a: "2" },
      matchExpressions: [
        { key: "m", operator: "NotIn", values: ["y", "x", "y"] },
        { key: "b", operator: "Exists", values: [] },
      ],
    }),
    "a=2,b,m notin (x,y),z=1",
  );
  assert.equal(formatLabelSelector({}), "");
  assert.equal(formatLabelSelector({ matchLabels: {}, matchExpressions: [] }), "");
});

Deno.test("convert: canonical lease selector text", () => {
  assert.equal(canonicalSelector("board==rpi4"), "board=rpi4");
  assert.equal(canonicalSelector("site != lab2"), "site notin (lab2)");
  assert.equal(canonicalSelector(" b in (y, x) , a = 1 , !c"), "a=1,b in (x,y),!c");
  assert.equal(canonicalSelector("a in (x)"), "a in (x)");
  assert.equal(canonicalSelector(""), "");
  assert.throws(() => canonicalSelector("a in"), SyntaxError);
});

Deno.test("convert: invalid LabelSelectors are refused with the field", () => {
  const bad: [Parameters<typeof fromLabelSelector>[0], RegExp][] = [
    [
      { matchExpressions: [{ key: "a", operator: "in", values: ["x"] }] },
      /\[0\]: "in" is not a valid/,
    ],
    [{ matchExpressions: [{ key: "a", operator: "In", values: [] }] }, /non-empty for In/],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: [] }] }, /non-empty for NotIn/],
    [{ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, /empty for Exists/],
    [{ matchExpressions: [{ key: "-a", operator: "Exists", values: [] }] }, /key "-a"/],
    [{ matchLabels: { "a b": "x" } }, /matchLabels\["a b"\]: key/],
    [{ matchLabels: { a: "x y" } }, /matchLabels\["a"\]: value "x y"/],
  ];
  for (const [ls, reason] of bad) {
    assert.throws(() => fromLabelSelector(ls), (e: unknown) => {
      assert.ok(e instanceof LabelSelectorError);
      assert.match(e.message, reason);
      return true;
    });
  }
});

Deno.test("convert: round trips keep the text for set-based selectors", () => {
  for (const text of ["a in (x,y),!b,c", "a notin (x),b=1"]) {
    assert.equal(formatSelector(fromLabelSelector(toLabelSelector(parseSelector(text)))), text);
  }
});
