import assert from "node:assert/strict";
import { ConfigError, parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { HttpPower, type HttpPowerSettings, httpPowerType } from "./driver.ts";
import { httpPowerConfigSchema } from "./config.ts";
import { driverPackage } from "./package.ts";
import { driverRegistryOf } from "@jumpstarter/lib/driver";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const minimal = { on: { url: "http://pdu/on" }, off: { url: "https://pdu/off" } };

function problems(config: unknown): string[] {
  const result = httpPowerType.config.safeParse(config);
  assert.ok(!result.success, "the config was accepted");
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

Deno.test("HttpPower config fills in defaults", () => {
  assert.deepEqual(httpPowerConfigSchema.parse(minimal), {
    on: { method: "POST", url: "http://pdu/on", headers: {} },
    off: { method: "POST", url: "https://pdu/off", headers: {} },
    timeout: 10,
  });
  const withRead = httpPowerConfigSchema.parse({
    ...minimal,
    read: { url: "http://pdu/meter", parse: { voltage: 230, current: "a.b" } },
  });
  assert.deepEqual(withRead.read, {
    method: "GET",
    url: "http://pdu/meter",
    headers: {},
    parse: { format: "json", voltage: 230, current: "a.b" },
  });
});

Deno.test("HttpPower config rejects bad values with clear messages", () => {
  assert.deepEqual(problems({ ...minimal, on: { url: "http://admin:hunter2@pdu/on" } }), [
    "on.url: credentials in the URL are not allowed: put them under auth",
  ]);
  assert.deepEqual(problems({ ...minimal, off: { url: "ftp://pdu/off" } }), [
    "off.url: expected an http:// or https:// URL",
  ]);
  assert.deepEqual(problems({ ...minimal, on: { url: "pdu/on" } }), [
    "on.url: expected an absolute http:// or https:// URL",
  ]);
  assert.deepEqual(problems({ ...minimal, on: { method: "GET", url: "http://pdu/", body: "x" } }), [
    "on.body: a GET request cannot have a body",
  ]);
  assert.deepEqual(
    problems({
      ...minimal,
      off: { url: "http://pdu/off", headers: { authorization: "Basic x" } },
      auth: { type: "bearer", token: "t" },
    }),
    ["off.headers: set either auth or an Authorization header, not both"],
  );
  assert.deepEqual(
    problems({
      ...minimal,
      read: { url: "http://pdu/", parse: { format: "text", voltage: "V=[0-9.]+", current: 0 } },
    }),
    ["read.parse.voltage: the regular expression needs a capture group around the number"],
  );
  assert.deepEqual(
    problems({ ...minimal, auth: { type: "basic", username: "a:b", password: "" } }),
    [
      "auth.username: a basic-auth username cannot contain ':'",
    ],
  );
  assert.match(
    problems({ ...minimal, on: { url: "http://pdu/", "expect_status": 42 } })[0]!,
    /^on\.expect_status/,
  );
  assert.match(problems({ ...minimal, timeout: 0 })[0]!, /^timeout: /);
  assert.match(problems({ ...minimal, cycle: minimal.on })[0]!, /Unrecognized key.*"cycle"/);
  assert.match(problems({ on: minimal.on })[0]!, /^off: /);
  assert.match(
    problems({ ...minimal, on: { url: "http://pdu/", method: "FETCH" } })[0]!,
    /^on\.method: /,
  );
});

Deno.test("HttpPower loads from an exporter config under its class path", async () => {
  const yaml = (config: string) =>
    parseExporterConfig(
      `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  power:
    type: jumpstarter_driver_http_power.driver.HttpPower
    config:
${config}`,
      "lab.yaml",
    );
  const root = await buildDriverTree(
    yaml(`      on: {url: "http://pdu/on", body: "1"}
      off: {url: "http://pdu/off", body: "0"}
      auth: {type: basic, username: admin, password: secret}
      timeout: 3
`),
    { registry: driverRegistry },
  );
  assert.ok(root.children.get("power") instanceof HttpPower);

  await assert.rejects(
    buildDriverTree(
      yaml(`      on: {url: "http://pdu/on"}
      off: {url: "http://pdu/off", expect_status: [200, 1000]}
`),
      { registry: driverRegistry },
    ),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.field, /^export\.power\.config\.off\.expect_status/);
      assert.match(
        e.message,
        /^lab\.yaml:\d+:\d+: Invalid config for driver "jumpstarter_driver_http_power/,
      );
      return true;
    },
  );
});

Deno.test("HttpPower takes upstream's config form, with upstream's defaults", () => {
  const result = httpPowerType.config.safeParse({
    name: "plug",
    "power_on": { url: "http://plug/on", method: "post", data: "x" },
    "power_off": { url: "http://plug/off", data: "dropped on GET" },
    "power_read": { url: "http://plug/meter", "current_path": "a.0.b" },
    auth: { basic: { user: "u", password: "p" } },
  });
  assert.ok(result.success, JSON.stringify(result.error?.issues));
  const { config, name } = result.data as HttpPowerSettings;
  assert.equal(name, "plug");
  assert.deepEqual(config.on, {
    method: "POST",
    url: "http://plug/on",
    body: "x",
    headers: {},
    untypedBody: true,
  });
  assert.deepEqual(config.off, {
    method: "GET",
    url: "http://plug/off",
    headers: {},
    untypedBody: true,
  });
  assert.deepEqual(config.read?.parse, {
    format: "json",
    voltage: "voltage",
    current: "a.0.b",
    zeroWhenMissing: ["voltage"],
  });
  assert.deepEqual(config.auth, { type: "basic", username: "u", password: "p" });
});

Deno.test("upstream's form is refused at upstream's keys", () => {
  assert.deepEqual(problems({ "power_on": { url: "http://plug/on" } }), [
    "power_off: Invalid input: expected object, received undefined",
  ]);
  assert.match(
    problems({
      "power_on": { url: "http://plug/on", body: "x" },
      "power_off": { url: "http://plug/off" },
    })[0]!,
    /^power_on: Unrecognized key: "body"/,
  );
  assert.deepEqual(
    problems({ "power_on": { url: "plug/on" }, "power_off": { url: "http://plug/off" } }),
    ["power_on.url: expected an absolute http:// or https:// URL"],
  );
});
