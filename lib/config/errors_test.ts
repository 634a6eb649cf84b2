import assert from "node:assert/strict";
import { ConfigError, formatField } from "./errors.ts";

Deno.test("ConfigError messages read file:line:column: reason at field", () => {
  const error = new ConfigError('Unknown driver type "foo.Bar"', {
    file: "examples/lab.yaml",
    line: 7,
    column: 11,
    field: "export.power",
  });
  assert.ok(error instanceof SyntaxError);
  assert.equal(error.name, "ConfigError");
  assert.equal(
    error.message,
    'examples/lab.yaml:7:11: Unknown driver type "foo.Bar" at export.power',
  );
  assert.equal(error.reason, 'Unknown driver type "foo.Bar"');
});

Deno.test("ConfigError leaves out what it does not know", () => {
  const error = new ConfigError("Config file not found", {
    file: "/x.yaml",
    line: 0,
    column: 0,
    field: "",
  });
  assert.equal(error.message, "/x.yaml: Config file not found");
});

Deno.test("field paths are dotted, quoting keys that contain dots", () => {
  assert.equal(
    formatField(["export", "power", "children", "serial"]),
    "export.power.children.serial",
  );
  assert.equal(formatField(["grpcOptions", "grpc.max_send"]), 'grpcOptions["grpc.max_send"]');
  assert.equal(formatField(["drivers", "allow", 0]), "drivers.allow[0]");
  assert.equal(formatField(["export", "7"]), 'export["7"]');
  assert.equal(formatField([]), "");
});
