import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "./errors.ts";
import { type DriverInstance, loadExporterConfig, parseExporterConfig } from "./exporter_config.ts";

const HEADER = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n";

// Shaped like the exporter configs upstream Jumpstarter ships and documents.
const UPSTREAM = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata:
  namespace: lab
  name: bench-01
endpoint: grpc.jumpstarter.example.com:443
token: "eyJhbGciOi.payload.sig"
tls:
  ca: ""
  insecure: true
grpcOptions:
  grpc.keepalive_time_ms: 20000
  grpc.primary_user_agent: bench
export:
  storage:
    type: jumpstarter_driver_opendal.driver.MockStorageMux
  power:
    type: jumpstarter_driver_power.driver.MockPower
    description: Bench supply
    methods_description:
      "on": Switch the DUT on
  "7":
    ref: power
  serial:
    type: jumpstarter_driver_pyserial.driver.PySerial
    config:
      url: /dev/ttyUSB0
      baudrate: 115200
      rtscts: false
      timeouts: [1.5, 3]
      extra: null
  board:
    children:
      console:
        ref: serial
      relay:
        type: jumpstarter_driver_power.driver.MockPower
        children:
          sense:
            ref: board.console
hooks:
  beforeLease:
    script: j power on
  afterLease:
    script: |
      j power off
    exec: /bin/bash
    timeout: 30
    onFailure: endLease
exitOnLeaseEnd: true
`;

function expectKind<K extends DriverInstance["kind"]>(
  instance: DriverInstance | undefined,
  kind: K,
): Extract<DriverInstance, { kind: K }> {
  assert.ok(instance !== undefined, "instance missing");
  assert.equal(instance.kind, kind);
  return instance as Extract<DriverInstance, { kind: K }>;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("upstream exporter config loads unchanged, in file order", () => {
  const config = parseExporterConfig(UPSTREAM, "examples/bench.yaml");
  assert.equal(config.alias, "bench");
  assert.equal(config.path, "examples/bench.yaml");
  assert.deepEqual(config.metadata, { namespace: "lab", name: "bench-01" });
  assert.equal(config.endpoint, "grpc.jumpstarter.example.com:443");
  assert.equal(config.token, "eyJhbGciOi.payload.sig");
  assert.deepEqual(config.tls, { ca: "", insecure: true });
  assert.deepEqual(config.grpcOptions, {
    "grpc.keepalive_time_ms": 20000,
    "grpc.primary_user_agent": "bench",
  });
  // "7" would jump to the front of a plain object; the map keeps the file's order.
  assert.deepEqual([...config.export.keys()], ["storage", "power", "7", "serial", "board"]);

  const power = expectKind(config.export.get("power"), "driver");
  assert.equal(power.type, "jumpstarter_driver_power.driver.MockPower");
  assert.equal(power.description, "Bench supply");
  assert.deepEqual(power.methods_description, { on: "Switch the DUT on" });
  assert.deepEqual(power.config, {});
  assert.equal(power.children.size, 0);
  assert.deepEqual(power.path, ["export", "power"]);
  assert.deepEqual(power.source, { file: "examples/bench.yaml", line: 18, column: 11 });

  const storage = expectKind(config.export.get("storage"), "driver");
  assert.equal("description" in storage, false);

  const proxy = expectKind(config.export.get("7"), "proxy");
  assert.equal(proxy.ref, "power");
  assert.deepEqual(proxy.source, { file: "examples/bench.yaml", line: 23, column: 5 });

  const serial = expectKind(config.export.get("serial"), "driver");
  assert.deepEqual(serial.config, {
    url: "/dev/ttyUSB0",
    baudrate: 115200,
    rtscts: false,
    timeouts: [1.5, 3],
    extra: null,
  });

  const board = expectKind(config.export.get("board"), "composite");
  assert.deepEqual([...board.children.keys()], ["console", "relay"]);
  assert.deepEqual(board.source, { file: "examples/bench.yaml", line: 33, column: 5 });
  const relay = expectKind(board.children.get("relay"), "driver");
  assert.deepEqual(relay.path, ["export", "board", "children", "relay"]);
  assert.deepEqual(relay.source, { file: "examples/bench.yaml", line: 37, column: 15 });
  const sense = expectKind(relay.children.get("sense"), "proxy");
  assert.equal(sense.ref, "board.console");
  assert.deepEqual(sense.path, ["export", "board", "children", "relay", "children", "sense"]);

  assert.deepEqual(config.hooks.beforeLease, {
    script: "j power on",
    timeout: 120,
    onFailure: "warn",
    source: { file: "examples/bench.yaml", line: 43, column: 5 },
  });
  const after = config.hooks.afterLease;
  assert.ok(after !== null);
  assert.equal(after.script, "j power off\n");
  assert.equal(after.exec, "/bin/bash");
  assert.equal(after.timeout, 30);
  assert.equal(after.onFailure, "endLease");
  assert.equal(config.exitOnLeaseEnd, true);
  assert.deepEqual(config.failureDetection, { maxRapidFailures: 5, rapidFailureWindow: 60 });
});

Deno.test("short driver type names load as written, with local-mode defaults", () => {
  const text =
    `${HEADER}export:\n  power:\n    type: MockPower\n  console:\n    type: MockSerial\n`;
  const config = parseExporterConfig(text, "/tmp/virtual-lab.yaml");
  assert.equal(expectKind(config.export.get("power"), "driver").type, "MockPower");
  assert.equal(expectKind(config.export.get("console"), "driver").type, "MockSerial");
  assert.deepEqual(config.metadata, { namespace: "default", name: "virtual-lab" });
  assert.equal(config.endpoint, null);
  assert.equal(config.token, null);
  assert.deepEqual(config.tls, { ca: "", insecure: false });
  assert.deepEqual(config.grpcOptions, {});
  assert.deepEqual(config.hooks, { beforeLease: null, afterLease: null });
  assert.equal(config.description, null);
  assert.equal(config.exitOnLeaseEnd, false);
});

Deno.test("an empty instance is a composite with no children", () => {
  const config = parseExporterConfig(`${HEADER}export:\n  empty: {}\n`, "lab.yaml");
  const empty = expectKind(config.export.get("empty"), "composite");
  assert.equal(empty.children.size, 0);
});

Deno.test("unknown top-level keys are ignored", () => {
  const config = parseExporterConfig(`${HEADER}futureFeature:\n  on: true\n`, "lab.yaml");
  assert.equal(config.export.size, 0);
  assert.equal("futureFeature" in config, false);
});

Deno.test("malformed YAML reports the parser's file, line and column", () => {
  const error = configError(() =>
    parseExporterConfig(`${HEADER}export:\n  power:\n    type: [MockPower\n`, "lab.yaml")
  );
  assert.equal(error.file, "lab.yaml");
  assert.equal(error.line, 6);
  assert.equal(error.column, 1);
  assert.match(error.message, /^lab\.yaml:6:1: [A-Z]/);
});

Deno.test("duplicate keys are an error naming the key", () => {
  const text = `${HEADER}export:\n  power:\n    type: A\n  power:\n    type: B\n`;
  const error = configError(() => parseExporterConfig(text, "lab.yaml"));
  assert.equal(error.message, 'lab.yaml:6:3: Duplicate key "power" at export.power');
});

Deno.test("a wrong-typed field names file, line, column and field", () => {
  const text = `${HEADER}export:\n  power:\n    type: MockPower\n    children: 3\n`;
  const error = configError(() => parseExporterConfig(text, "examples/lab.yaml"));
  assert.equal(error.file, "examples/lab.yaml");
  assert.equal(error.line, 6);
  assert.equal(error.column, 15);
  assert.equal(error.field, "export.power.children");
  assert.equal(
    error.message,
    "examples/lab.yaml:6:15: Expected a map, got 3 at export.power.children",
  );
});

Deno.test("an unknown key in metadata is rejected at that key", () => {
  const text = `${HEADER}metadata:\n  name: x\n  nmae: y\n`;
  const error = configError(() => parseExporterConfig(text, "lab.yaml"));
  assert.equal(error.message, 'lab.yaml:5:3: Unknown key "nmae" at metadata.nmae');
});

Deno.test("an instance mixing ref with type is rejected", () => {
  const text = `${HEADER}export:\n  power:\n    type: MockPower\n    ref: other\n`;
  const error = configError(() => parseExporterConfig(text, "lab.yaml"));
  assert.equal(error.line, 6);
  assert.equal(error.column, 5);
  assert.equal(error.field, "export.power");
  assert.match(error.reason, /^Cannot combine "ref" with "type"/);
});

Deno.test("an instance mixing ref with children is rejected", () => {
  const text = `${HEADER}export:\n  board:\n    ref: power\n    children:\n      a: {ref: b}\n`;
  const error = configError(() => parseExporterConfig(text, "lab.yaml"));
  assert.match(
    error.message,
    /^lab\.yaml:5:5: Cannot combine "ref" with "children".* at export\.board$/,
  );
});

Deno.test("an unknown key inside an instance is accepted, as upstream, with one located warning", () => {
  const text = `${HEADER}export:\n  power:\n    type: MockPower\n    confg: {}\n`;
  const config = parseExporterConfig(text, "lab.yaml");
  assert.equal(expectKind(config.export.get("power"), "driver").type, "MockPower");
  assert.deepEqual(config.warnings, [
    'lab.yaml:6:5: Ignoring unknown key "confg" (upstream ignores it too) at export.power.confg',
  ]);
});

Deno.test("config: left empty (null) is an empty config", () => {
  const text = `${HEADER}export:\n  power:\n    type: MockPower\n    config:\n`;
  const config = parseExporterConfig(text, "lab.yaml");
  assert.deepEqual(expectKind(config.export.get("power"), "driver").config, {});
  assert.deepEqual(config.warnings, []);
});

Deno.test("log_level is taken out of a driver's config as its log level", () => {
  const text = `${HEADER}export:\n  power:\n    type: MockPower\n    config:\n` +
    `      log_level: warning\n  sh:\n    type: Shell\n    config: {log_level: 10, methods: {}}\n`;
  const config = parseExporterConfig(text, "lab.yaml");
  const power = expectKind(config.export.get("power"), "driver");
  assert.deepEqual([power.config, power.logLevel], [{}, "WARNING"]);
  const shell = expectKind(config.export.get("sh"), "driver");
  assert.deepEqual([shell.config, shell.logLevel], [{ methods: {} }, "DEBUG"]);
});

Deno.test("a log_level that is no level is rejected at that value", () => {
  const text =
    `${HEADER}export:\n  power:\n    type: MockPower\n    config:\n      log_level: LOUD\n`;
  const error = configError(() => parseExporterConfig(text, "lab.yaml"));
  assert.equal(
    error.message,
    'lab.yaml:7:18: Expected a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL), got "LOUD"' +
      " at export.power.config.log_level",
  );
});

Deno.test("driver-only keys without a type are rejected", () => {
  const text = `${HEADER}export:\n  power:\n    config:\n      voltage: 5\n`;
  const error = configError(() => parseExporterConfig(text, "lab.yaml"));
  assert.equal(error.line, 5);
  assert.equal(error.field, "export.power");
  assert.match(error.reason, /"type".*"config"/);
});

Deno.test("a null instance and a malformed ref are rejected", () => {
  const nullInstance = configError(() =>
    parseExporterConfig(`${HEADER}export:\n  power:\n`, "lab.yaml")
  );
  assert.equal(nullInstance.message, "lab.yaml:4:3: Expected a map, got null at export.power");
  const badRef = configError(() =>
    parseExporterConfig(`${HEADER}export:\n  p:\n    ref: a..b\n`, "lab.yaml")
  );
  assert.equal(badRef.field, "export.p.ref");
  assert.equal(badRef.line, 5);
  assert.equal(badRef.column, 10);
});

Deno.test("apiVersion and kind must be exact", () => {
  const version = configError(() =>
    parseExporterConfig("apiVersion: jumpstarter.dev/v1\nkind: ExporterConfig\n", "lab.yaml")
  );
  assert.equal(
    version.message,
    'lab.yaml:1:13: Expected "jumpstarter.dev/v1alpha1", got "jumpstarter.dev/v1" at apiVersion',
  );
  const kind = configError(() =>
    parseExporterConfig("apiVersion: jumpstarter.dev/v1alpha1\nkind: ClientConfig\n", "lab.yaml")
  );
  assert.equal(kind.field, "kind");
});

Deno.test("hooks are validated: script required, onFailure from a fixed set", () => {
  const noScript = configError(() =>
    parseExporterConfig(`${HEADER}hooks:\n  beforeLease:\n    timeout: 3\n`, "lab.yaml")
  );
  assert.equal(
    noScript.message,
    'lab.yaml:5:5: Missing required key "script" at hooks.beforeLease.script',
  );
  const badMode = configError(() =>
    parseExporterConfig(
      `${HEADER}hooks:\n  afterLease:\n    script: x\n    onFailure: boom\n`,
      "lab.yaml",
    )
  );
  assert.equal(
    badMode.message,
    'lab.yaml:6:16: Expected one of "warn", "endLease", "exit", got "boom" at hooks.afterLease.onFailure',
  );
});

Deno.test("grpcOptions values must be strings or numbers", () => {
  const error = configError(() =>
    parseExporterConfig(`${HEADER}grpcOptions:\n  grpc.enable_retries: true\n`, "lab.yaml")
  );
  assert.equal(
    error.message,
    'lab.yaml:4:24: Expected a string or a number, got true at grpcOptions["grpc.enable_retries"]',
  );
});

Deno.test("an alias to an unknown anchor is a located error", () => {
  const error = configError(() =>
    parseExporterConfig(`${HEADER}export:\n  power: *supply\n`, "lab.yaml")
  );
  assert.equal(error.line, 4);
  assert.equal(error.column, 10);
  assert.equal(error.field, "export.power");
});

Deno.test("anchors and aliases expand into separate instances", () => {
  const text = `${HEADER}export:\n  a: &p\n    type: MockPower\n  b: *p\n`;
  const config = parseExporterConfig(text, "lab.yaml");
  assert.deepEqual(expectKind(config.export.get("b"), "driver").path, ["export", "b"]);
  assert.equal(expectKind(config.export.get("a"), "driver").type, "MockPower");
});

Deno.test("an empty file is rejected", () => {
  const error = configError(() => parseExporterConfig("# nothing here\n", "lab.yaml"));
  assert.equal(error.message, "lab.yaml:1:1: The file is empty");
});

Deno.test("loadExporterConfig reads the file and names it in errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = join(dir, "bench.local.yaml");
    await Deno.writeTextFile(good, UPSTREAM);
    const config = await loadExporterConfig(good);
    assert.equal(config.alias, "bench");
    assert.equal(config.path, good);
    assert.equal(config.export.size, 5);

    const missing = join(dir, "nope.yaml");
    await assert.rejects(loadExporterConfig(missing), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.file, missing);
      assert.equal(error.message, `${missing}: Config file not found`);
      assert.ok(error.cause instanceof Deno.errors.NotFound);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("apiVersion and kind may be left out, as upstream defaults them", () => {
  const config = parseExporterConfig("export:\n  power:\n    type: MockPower\n", "lab.yaml");
  assert.equal(config.apiVersion, "jumpstarter.dev/v1alpha1");
  assert.equal(config.kind, "ExporterConfig");
  assert.equal(expectKind(config.export.get("power"), "driver").type, "MockPower");
});
