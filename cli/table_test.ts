import assert from "node:assert/strict";
import { formatTable, NO_RESOURCES, printTable } from "./table.ts";

Deno.test("formatTable pads columns to their widest cell and upper-cases headers", () => {
  const text = formatTable(["current", "Name", "ENDPOINT"], [
    ["*", "lab", "grpc.example.com:443"],
    ["", "a-much-longer-alias", ""],
  ]);
  assert.equal(
    text,
    [
      "CURRENT   NAME                  ENDPOINT",
      "*         lab                   grpc.example.com:443",
      "          a-much-longer-alias",
    ].join("\n"),
  );
});

Deno.test("formatTable has no box characters and no trailing spaces", () => {
  const text = formatTable(["A", "B"], [["x", ""], ["yy", "z"]]);
  assert.doesNotMatch(text, /[│─┃━┌┐└┘|+]/);
  for (const line of text.split("\n")) assert.equal(line, line.trimEnd());
});

Deno.test("formatTable prints the empty message when there are no rows", () => {
  assert.equal(formatTable(["NAME"], []), NO_RESOURCES);
  assert.equal(NO_RESOURCES, "No resources found.");
  assert.equal(
    formatTable(["NAME"], [], { emptyMessage: "No drivers found." }),
    "No drivers found.",
  );
});

Deno.test("formatTable takes the gap and fills missing cells", () => {
  assert.equal(formatTable(["A", "B", "C"], [["1"]], { gap: 1 }), "A B C\n1");
});

Deno.test("formatTable counts wide characters as two cells", () => {
  assert.equal(
    formatTable(["N", "X"], [["日本", "1"], ["ab", "2"]]),
    "N      X\n日本   1\nab     2",
  );
});

Deno.test("printTable writes the table to stdout", () => {
  const lines: unknown[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    printTable(["name"], [["a"], ["b"]]);
    printTable(["name"], [], { emptyMessage: "nothing" });
  } finally {
    console.log = original;
  }
  assert.deepEqual(lines, ["NAME\na\nb", "nothing"]);
});
