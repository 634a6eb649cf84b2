import assert from "node:assert/strict";
import { checkFileName, checkRequestPath } from "./paths.ts";
import { parseRange } from "./range.ts";

Deno.test("checkRequestPath() refuses traversal however it is spelled", () => {
  for (
    const path of [
      "/../etc/passwd",
      "/a/../../etc/passwd",
      "/%2e%2e/etc/passwd",
      "/%2E%2E/etc/passwd",
      "/./x",
      "/..%2fetc%2fpasswd",
      "/a%2f..%2f..%2fetc",
      "/a%00b",
      "/%zz",
      "/a//b",
    ]
  ) {
    assert.equal(checkRequestPath(`http://h:1${path}`).ok, false, path);
  }
  assert.deepEqual(checkRequestPath("http://h:1/dir/my%20file.img?x=1#f"), {
    ok: true,
    segments: ["dir", "my file.img"],
  });
  assert.deepEqual(checkRequestPath("http://h:1/.jmp-upload-123"), {
    ok: false,
    refusal: "hidden",
  });
  assert.deepEqual(checkRequestPath("http://h:1/"), { ok: false, refusal: "invalid" });
});

Deno.test("checkFileName() accepts relative paths only", () => {
  assert.deepEqual(checkFileName("boot/kernel"), { ok: true, segments: ["boot", "kernel"] });
  for (const name of ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/", "./a", "a\0b"]) {
    assert.equal(checkFileName(name).ok, false, JSON.stringify(name));
  }
});

Deno.test("parseRange() follows RFC 9110 for one range and ignores what it cannot honour", () => {
  assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=90-1000", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-1000", 100), { start: 0, end: 99 });
  assert.equal(parseRange("bytes=100-", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=-0", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=0-", 0), "unsatisfiable");
  assert.equal(parseRange("bytes=5-2", 100), undefined);
  assert.equal(parseRange("bytes=0-1,5-6", 100), undefined);
  assert.equal(parseRange("items=0-1", 100), undefined);
  assert.equal(parseRange(null, 100), undefined);
});
