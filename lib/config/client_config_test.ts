import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ClientConfig,
  loadClientConfig,
  parseClientConfig,
  saveClientConfig,
  stringifyClientConfig,
} from "./client_config.ts";
import { ConfigError } from "./errors.ts";

const MINIMAL = `apiVersion: jumpstarter.dev/v1alpha1
kind: ClientConfig
metadata:
  namespace: lab
  name: alice
`;

const FULL = `apiVersion: jumpstarter.dev/v1alpha1
kind: ClientConfig
metadata:
  namespace: lab
  name: alice
endpoint: grpc.jumpstarter.example.com:443
tls:
  ca: ""
  insecure: false
  futureTlsKey: ignored
token: "token-value"
refresh_token: null
grpcOptions:
  grpc.keepalive_time_ms: 20000
drivers:
  allow: [jumpstarter_driver_power.*, jumpstarter_driver_pyserial.*]
  unsafe: false
shell:
  use_profiles: true
  someday: ignored
leases:
  acquisition_timeout: 600
  dial_timeout: 30.5
  retry_timeout: 0
`;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("a minimal client config gets the documented defaults", () => {
  const config = parseClientConfig(MINIMAL, "/home/a/.config/jumpstarter/clients/lab.yaml");
  assert.deepEqual(config, {
    alias: "lab",
    path: "/home/a/.config/jumpstarter/clients/lab.yaml",
    apiVersion: "jumpstarter.dev/v1alpha1",
    kind: "ClientConfig",
    metadata: { namespace: "lab", name: "alice" },
    endpoint: null,
    tls: { ca: "", insecure: false },
    token: null,
    "refresh_token": null,
    grpcOptions: {},
    drivers: { allow: [], unsafe: false },
    shell: { "use_profiles": false },
    leases: { "acquisition_timeout": 7200, "dial_timeout": 60, "retry_timeout": 300 },
  });
});

Deno.test("a full client config parses; tls and shell ignore unknown keys", () => {
  const config = parseClientConfig(FULL, "lab.yaml");
  assert.equal(config.endpoint, "grpc.jumpstarter.example.com:443");
  assert.deepEqual(config.tls, { ca: "", insecure: false });
  assert.equal(config.token, "token-value");
  assert.deepEqual(config.grpcOptions, { "grpc.keepalive_time_ms": 20000 });
  assert.deepEqual(config.drivers.allow, [
    "jumpstarter_driver_power.*",
    "jumpstarter_driver_pyserial.*",
  ]);
  assert.deepEqual(config.shell, { "use_profiles": true });
  assert.deepEqual(config.leases, {
    "acquisition_timeout": 600,
    "dial_timeout": 30.5,
    "retry_timeout": 0,
  });
});

Deno.test("metadata.namespace may be null but must be present", () => {
  const nullNamespace = parseClientConfig(
    MINIMAL.replace("namespace: lab", "namespace: null"),
    "lab.yaml",
  );
  assert.equal(nullNamespace.metadata.namespace, null);
  const error = configError(() =>
    parseClientConfig(MINIMAL.replace("  namespace: lab\n", ""), "lab.yaml")
  );
  // A missing key points at the map that should hold it.
  assert.equal(
    error.message,
    'lab.yaml:4:3: Missing required key "namespace" at metadata.namespace',
  );
});

Deno.test("drivers.allow also accepts a comma-separated string", () => {
  const config = parseClientConfig(`${MINIMAL}drivers:\n  allow: "a.*, b.Driver,,"\n`, "lab.yaml");
  assert.deepEqual(config.drivers.allow, ["a.*", "b.Driver"]);
});

Deno.test("unknown top-level keys in a client config are rejected with their location", () => {
  const error = configError(() => parseClientConfig(`${MINIMAL}alias: other\n`, "lab.yaml"));
  assert.equal(error.message, 'lab.yaml:6:1: Unknown key "alias" at alias');
  assert.equal(error.line, 6);
  assert.equal(error.column, 1);
  assert.equal(error.field, "alias");
});

Deno.test("unknown keys in metadata, drivers and leases are rejected", () => {
  const metadata = configError(() =>
    parseClientConfig(`${MINIMAL}  labels: {}\n`, "clients/lab.yaml")
  );
  assert.equal(metadata.message, 'clients/lab.yaml:6:3: Unknown key "labels" at metadata.labels');
  const drivers = configError(() =>
    parseClientConfig(`${MINIMAL}drivers:\n  alow: []\n`, "lab.yaml")
  );
  assert.equal(drivers.message, 'lab.yaml:7:3: Unknown key "alow" at drivers.alow');
  const leases = configError(() =>
    parseClientConfig(`${MINIMAL}leases:\n  dial_timeout: 10\n  timeout: 1\n`, "lab.yaml")
  );
  assert.equal(leases.message, 'lab.yaml:8:3: Unknown key "timeout" at leases.timeout');
});

Deno.test("the first problem in the file is reported, the rest kept in cause", () => {
  const text = `${MINIMAL}leases:\n  dial_timeout: 1\nextra: true\n`;
  const error = configError(() => parseClientConfig(text, "lab.yaml"));
  assert.equal(
    error.message,
    "lab.yaml:7:17: Expected a number >= 5, got 1 at leases.dial_timeout",
  );
  assert.ok(error.cause instanceof AggregateError);
  assert.equal(error.cause.errors.length, 2);
});

Deno.test("lease limits and types are enforced", () => {
  const acquisition = configError(() =>
    parseClientConfig(`${MINIMAL}leases:\n  acquisition_timeout: 7.5\n`, "lab.yaml")
  );
  assert.equal(
    acquisition.message,
    "lab.yaml:7:24: Expected an integer, got 7.5 at leases.acquisition_timeout",
  );
  const retry = configError(() =>
    parseClientConfig(`${MINIMAL}leases:\n  retry_timeout: -1\n`, "lab.yaml")
  );
  assert.equal(retry.reason, "Expected a number >= 0, got -1");
  const endpoint = configError(() => parseClientConfig(`${MINIMAL}endpoint: 42\n`, "lab.yaml"));
  assert.equal(endpoint.message, "lab.yaml:6:11: Expected a string, got 42 at endpoint");
});

Deno.test("an exporter config is not a client config", () => {
  const error = configError(() =>
    parseClientConfig("apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n", "x.yaml")
  );
  assert.equal(error.message, 'x.yaml:2:7: Expected "ClientConfig", got "ExporterConfig" at kind');
});

Deno.test("save then load round-trips, atomically and privately", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const original = parseClientConfig(FULL, "lab.yaml");
    const path = join(dir, "clients", "lab.yaml");
    await saveClientConfig(original, path);

    const loaded = await loadClientConfig(path);
    assert.deepEqual(loaded, { ...original, path });
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    }
    const names = [];
    for await (const entry of Deno.readDir(join(dir, "clients"))) names.push(entry.name);
    assert.deepEqual(names, ["lab.yaml"], "no temporary file is left behind");

    const text = await Deno.readTextFile(path);
    const topKeys = text.split("\n").filter((line) => /^\w/.test(line)).map((line) =>
      line.split(":")[0]
    );
    assert.deepEqual(topKeys, [
      "apiVersion",
      "kind",
      "metadata",
      "endpoint",
      "tls",
      "token",
      "grpcOptions",
      "drivers",
      "shell",
      "leases",
    ]);
    assert.doesNotMatch(text, /futureTlsKey|someday|alias|path/);

    // Saving over an existing file replaces it.
    await saveClientConfig({ ...loaded, token: "rotated" }, path);
    assert.equal((await loadClientConfig(path)).token, "rotated");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("long tokens are written on one line", () => {
  const token = "x".repeat(300);
  const config: ClientConfig = { ...parseClientConfig(MINIMAL, "lab.yaml"), token };
  const text = stringifyClientConfig(config);
  assert.ok(text.includes(`token: ${token}\n`));
  assert.equal(parseClientConfig(text, "lab.yaml").token, token);
});

Deno.test("saving an invalid config is refused before touching the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "lab.yaml");
    const config = parseClientConfig(MINIMAL, "lab.yaml");
    const bad = { ...config, leases: { ...config.leases, "dial_timeout": 1 } };
    await assert.rejects(saveClientConfig(bad, path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${path}: Expected a number >= 5, got 1 at leases.dial_timeout`);
      return true;
    });
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing client config file gives an error naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "missing", "lab.yaml");
    await assert.rejects(loadClientConfig(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.file, path);
      assert.equal(error.message, `${path}: Config file not found`);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
