import assert from "node:assert/strict";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { checkName, commandOutput, parsePrintenv, quoteValue, setenvCommand } from "./commands.ts";
import { prefixLength } from "./types.ts";

Deno.test("quoteValue: single quotes, with quotes and backslashes written outside them", () => {
  assert.equal(quoteValue("a b  c"), "'a b  c'");
  assert.equal(quoteValue('$x; "y"'), `'$x; "y"'`);
  assert.equal(quoteValue("it's"), "'it'\\''s'");
  assert.equal(quoteValue("a\\b"), "'a'\\\\'b'");
  assert.equal(quoteValue("'"), "\\'");
  assert.equal(quoteValue(""), "''");
  assert.throws(() => quoteValue("a\nb"), InvalidArgumentError);
  assert.throws(() => quoteValue("a\rb"), /cannot contain line breaks/);
});

Deno.test("setenvCommand sets or deletes; names are checked", () => {
  assert.equal(
    setenvCommand("bootargs", "console=ttyAMA0 root=/dev/vda"),
    "setenv bootargs 'console=ttyAMA0 root=/dev/vda'",
  );
  assert.equal(setenvCommand("foo", null), "setenv foo");
  assert.equal(checkName("fdt_addr_r"), "fdt_addr_r");
  assert.throws(() => checkName("a b"), /Invalid U-Boot variable name "a b"/);
  assert.throws(() => checkName("x;reset"), InvalidArgumentError);
  assert.throws(() => checkName(""), InvalidArgumentError);
});

Deno.test("parsePrintenv: value, not defined, or something else", () => {
  assert.equal(parsePrintenv("bootcmd", "bootcmd=run distro_bootcmd"), "run distro_bootcmd");
  assert.equal(parsePrintenv("e", "e="), "");
  assert.equal(parsePrintenv("nope", '## Error: "nope" not defined'), null);
  assert.equal(parsePrintenv("x", "Unknown command 'printenv'"), undefined);
});

Deno.test("commandOutput drops the end of the echo line and normalises line endings", () => {
  assert.equal(commandOutput("\r\nline 1\r\n\r\nline 3\r"), "line 1\n\nline 3");
  assert.equal(commandOutput("\r"), "");
});

Deno.test("prefixLength counts the netmask's bits, as upstream's cidr", () => {
  assert.equal(prefixLength("255.255.255.0"), "24");
  assert.equal(prefixLength("255.255.0.0"), "16");
  assert.equal(prefixLength("255.255.255.252"), "30");
  assert.equal(prefixLength("garbage"), "24");
});
