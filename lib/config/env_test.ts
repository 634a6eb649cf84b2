import assert from "node:assert/strict";
import { clientConfigFromEnv } from "./env.ts";
import { ConfigError } from "./errors.ts";

Deno.test("no client config from the environment without both JMP_NAME and JMP_NAMESPACE", () => {
  assert.equal(clientConfigFromEnv({}), undefined);
  assert.equal(clientConfigFromEnv({ JMP_NAME: "alice", JMP_ENDPOINT: "e:443" }), undefined);
  assert.equal(clientConfigFromEnv({ JMP_NAMESPACE: "lab" }), undefined);
  assert.equal(clientConfigFromEnv({ JMP_NAME: "", JMP_NAMESPACE: "lab" }), undefined);
});

Deno.test("a client config is built from JMP_* variables", () => {
  const config = clientConfigFromEnv({
    JMP_NAME: "alice",
    JMP_NAMESPACE: "lab",
    JMP_ENDPOINT: "grpc.example.com:443",
    JMP_TOKEN: "secret",
    JMP_DRIVERS_ALLOW: "jumpstarter_driver_power.*, MockSerial",
    JMP_DRIVERS_UNSAFE: "True",
  });
  assert.ok(config !== undefined);
  assert.equal(config.alias, "default");
  assert.equal(config.path, null);
  assert.deepEqual(config.metadata, { namespace: "lab", name: "alice" });
  assert.equal(config.endpoint, "grpc.example.com:443");
  assert.equal(config.token, "secret");
  assert.deepEqual(config.drivers, {
    allow: ["jumpstarter_driver_power.*", "MockSerial"],
    unsafe: true,
  });
  assert.deepEqual(config.leases, {
    "acquisition_timeout": 7200,
    "dial_timeout": 60,
    "retry_timeout": 300,
  });
});

Deno.test("optional JMP_* variables default like a file would", () => {
  const config = clientConfigFromEnv({ JMP_NAME: "alice", JMP_NAMESPACE: "lab" });
  assert.ok(config !== undefined);
  assert.equal(config.endpoint, null);
  assert.equal(config.token, null);
  assert.deepEqual(config.drivers, { allow: [], unsafe: false });
});

Deno.test("a malformed JMP_DRIVERS_UNSAFE is an error naming the variable", () => {
  assert.throws(
    () => clientConfigFromEnv({ JMP_NAME: "a", JMP_NAMESPACE: "b", JMP_DRIVERS_UNSAFE: "maybe" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.field, "JMP_DRIVERS_UNSAFE");
      assert.equal(
        error.message,
        'environment: Expected a boolean (true or false), got "maybe" at JMP_DRIVERS_UNSAFE',
      );
      return true;
    },
  );
});
