import assert from "node:assert/strict";
import {
  formatSelector,
  matches,
  parseSelector,
  type Requirement,
  SelectorSyntaxError,
} from "./selector.ts";

function reqs(text: string): Requirement[] {
  return [...parseSelector(text).requirements];
}

Deno.test("selector: every operator", () => {
  assert.deepEqual(reqs("a=1"), [{ key: "a", operator: "Equals", values: ["1"] }]);
  assert.deepEqual(reqs("a==1"), [{ key: "a", operator: "DoubleEquals", values: ["1"] }]);
  assert.deepEqual(reqs("a!=1"), [{ key: "a", operator: "NotEquals", values: ["1"] }]);
  assert.deepEqual(reqs("a in (y,x)"), [{ key: "a", operator: "In", values: ["x", "y"] }]);
  assert.deepEqual(reqs("a notin (x)"), [{ key: "a", operator: "NotIn", values: ["x"] }]);
  assert.deepEqual(reqs("a"), [{ key: "a", operator: "Exists", values: [] }]);
  assert.deepEqual(reqs("!a"), [{ key: "a", operator: "DoesNotExist", values: [] }]);
  assert.deepEqual(reqs(""), []);
  assert.deepEqual(reqs("   "), []);
});

Deno.test("selector: whitespace anywhere between tokens, none needed around symbols", () => {
  const canonical = "a in (x,y),b!=2,!c,d=4,e";
  for (
    const text of [
      "a in (x,y),b!=2,!c,d=4,e",
      "  e , d = 4 ,\t! c , b != 2 , a  in  ( y , x )  ",
      "e,d=4,!c,b!=2,a in(x,y)",
      "\ne,\nd=4,!c,b!=2,a in (x,y)\n",
    ]
  ) {
    assert.equal(formatSelector(parseSelector(text)), canonical, text);
  }
});

Deno.test("selector: prefixed keys and value edge cases as Kubernetes has them", () => {
  assert.deepEqual(reqs("jumpstarter.dev/name=board-1"), [
    { key: "jumpstarter.dev/name", operator: "Equals", values: ["board-1"] },
  ]);
  assert.deepEqual(reqs("a="), [{ key: "a", operator: "Equals", values: [""] }]);
  assert.deepEqual(reqs("a=,b"), [
    { key: "a", operator: "Equals", values: [""] },
    { key: "b", operator: "Exists", values: [] },
  ]);
  assert.deepEqual(reqs("a=in"), [{ key: "a", operator: "Equals", values: ["in"] }]);
  assert.deepEqual(reqs("a in (in,notin)"), [
    { key: "a", operator: "In", values: ["in", "notin"] },
  ]);
  assert.deepEqual(reqs("a in ()"), [{ key: "a", operator: "In", values: [""] }]);
  assert.deepEqual(reqs("a in (x,)"), [{ key: "a", operator: "In", values: ["", "x"] }]);
  assert.deepEqual(reqs("a in (x,,x)"), [{ key: "a", operator: "In", values: ["", "x"] }]);
  assert.deepEqual(reqs("a_b.c-d=V_1.x-y"), [
    { key: "a_b.c-d", operator: "Equals", values: ["V_1.x-y"] },
  ]);
});

Deno.test("selector: canonical text is sorted by key, then by requirement text", () => {
  assert.equal(formatSelector(parseSelector("z=1,a in (c,b),!m")), "a in (b,c),!m,z=1");
  assert.equal(formatSelector(parseSelector("a!=2,a=1,a")), "a,a!=2,a=1");
  assert.equal(formatSelector(parseSelector("k==v")), "k==v");
});

function syntaxError(text: string): SelectorSyntaxError {
  try {
    parseSelector(text);
  } catch (error) {
    assert.ok(error instanceof SelectorSyntaxError, String(error));
    assert.ok(error instanceof SyntaxError);
    return error;
  }
  assert.fail(`parsed ${JSON.stringify(text)}`);
}

Deno.test("selector: syntax errors carry the offending position", () => {
  const cases: [string, number, RegExp][] = [
    ["a in b", 5, /expected "\(" after "in", found "b"/],
    ["a=b,", 4, /expected a label key or "!", found end of input/],
    [",a", 0, /expected a label key or "!", found ","/],
    ["a b", 2, /after key "a", found "b"/],
    ["a=b c", 4, /expected "," or end of input, found "c"/],
    ["a>1", 1, /operator ">" is not supported/],
    ["a<1", 1, /operator "<" is not supported/],
    ["a in (b", 7, /expected "," or "\)", found end of input/],
    ["a in (b c)", 8, /expected "," or "\)", found "c"/],
    ["a notin", 7, /expected "\(" after "notin", found end of input/],
    ["!", 1, /expected a label key after "!", found end of input/],
    ["!a=b", 2, /expected "," or end of input, found "="/],
    ["a=(b)", 2, /expected a value after "=", found "\("/],
    ["in=x", 0, /expected a label key or "!", found "in"/],
    ["a=b,,c", 4, /found ","/],
    ["-a=b", 0, /invalid label key "-a": name part must/],
    ["a/b/c", 0, /may contain at most one '\/'/],
    ["Foo.com/a", 0, /prefix part must consist of lower case/],
    ["/a", 0, /prefix part must not be empty/],
    ["a/", 0, /name part must not be empty/],
    [`a=${"x".repeat(64)}`, 2, /invalid label value "x+": must be no more than 63/],
    ["x, y in (ok,-bad)", 12, /invalid label value "-bad"/],
  ];
  for (const [text, position, reason] of cases) {
    const error = syntaxError(text);
    assert.equal(error.position, position, `${text}: ${error.message}`);
    assert.match(error.reason, reason, text);
    assert.equal(error.input, text);
    assert.match(error.message, new RegExp(`at position ${position}$`));
    assert.ok(error.message.startsWith(`invalid label selector ${JSON.stringify(text)}: `));
  }
});

Deno.test("selector: matching follows Kubernetes semantics", () => {
  const labels = { board: "rpi4", arch: "arm64", empty: "" };
  const table: [string, boolean][] = [
    ["", true],
    ["board=rpi4", true],
    ["board==rpi4", true],
    ["board=rpi5", false],
    ["missing=x", false],
    ["board!=rpi5", true],
    ["board!=rpi4", false],
    ["missing!=x", true], // absent keys satisfy != and notin
    ["board in (rpi3,rpi4)", true],
    ["board in (rpi3)", false],
    ["missing in (x)", false],
    ["board notin (rpi3)", true],
    ["board notin (rpi4,x)", false],
    ["missing notin (x)", true],
    ["board", true],
    ["missing", false],
    ["!board", false],
    ["!missing", true],
    ["empty=", true],
    ["empty", true],
    ["empty in ()", true],
    ["board in ()", false],
    ["board=rpi4,arch=arm64", true],
    ["board=rpi4,arch=amd64", false],
    ["board=rpi4,!arch", false],
  ];
  for (const [text, expected] of table) {
    assert.equal(matches(text, labels), expected, text);
    assert.equal(matches(parseSelector(text), labels), expected, text);
  }
});

Deno.test("selector: inherited object properties are not labels", () => {
  assert.equal(matches("constructor", {}), false);
  assert.equal(matches("!toString", {}), true);
  assert.equal(matches("hasOwnProperty notin (x)", {}), true);
});
