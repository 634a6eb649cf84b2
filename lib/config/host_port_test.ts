import assert from "node:assert/strict";
import { formatHostPort, parseHostPort } from "./host_port.ts";

Deno.test("parseHostPort() reads host:port, [v6]:port and a bare port", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:9090"), { host: "127.0.0.1", port: 9090 });
  assert.deepEqual(parseHostPort("[::1]:80"), { host: "::1", port: 80 });
  assert.deepEqual(parseHostPort("9090", "0.0.0.0"), { host: "0.0.0.0", port: 9090 });
  assert.deepEqual(parseHostPort("lab.example:0"), { host: "lab.example", port: 0 });
});

Deno.test("parseHostPort() names the text when the port or host is wrong", () => {
  for (const bad of ["abc:def", "host:", "host:70000", ":80", "", "a:1:b", "[::1]"]) {
    assert.throws(() => parseHostPort(bad), (error: unknown) => {
      assert.ok(error instanceof SyntaxError, `${bad}: ${error}`);
      assert.match(error.message, /got|before/);
      return true;
    }, bad);
  }
});

Deno.test("formatHostPort() brackets IPv6 literals", () => {
  assert.equal(formatHostPort({ host: "::1", port: 80 }), "[::1]:80");
  assert.equal(formatHostPort({ host: "lab", port: 80 }), "lab:80");
});
