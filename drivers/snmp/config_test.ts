import assert from "node:assert/strict";
import { parse } from "yaml";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { snmpServerType } from "./driver.ts";
import { RARITAN_OUTLET_OID, securityLevel, snmpConfigSchema } from "./config.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

function issue(config: unknown): string {
  const result = snmpConfigSchema.safeParse(config);
  assert.ok(!result.success, "the config should be rejected");
  const first = result.error.issues[0]!;
  return `${first.path.join(".")}: ${first.message}`;
}

Deno.test("SNMPServer loads under its upstream class path with upstream's documented config", () => {
  assert.equal(
    driverRegistry.get("jumpstarter_driver_snmp.driver.SNMPServer"),
    snmpServerType,
  );
  assert.equal(driverRegistry.get("SNMPServer"), snmpServerType);
  const config = snmpConfigSchema.parse(parse(`
    host: "pdu.mgmt.com"
    user: "labuser"
    plug: 32
    port: 161
    oid: "1.3.6.1.4.1.13742.6.4.1.2.1.2.1"
    auth_protocol: "NONE"
    auth_key: null
    priv_protocol: "NONE"
    priv_key: null
    timeout: 5.0
  `));
  assert.equal(securityLevel(config), "noAuthNoPriv");
  assert.equal(config.version, "3");
  assert.equal(config.community, "private");
  assert.equal(config.on_value, 1);
  assert.equal(config.off_value, 0);
});

Deno.test("SNMPServer config defaults follow upstream", () => {
  const config = snmpConfigSchema.parse({ host: "pdu", user: "u", plug: 1 });
  assert.deepEqual(config, {
    host: "pdu",
    user: "u",
    plug: 1,
    port: 161,
    oid: RARITAN_OUTLET_OID,
    "auth_protocol": "NONE",
    "auth_key": null,
    "priv_protocol": "NONE",
    "priv_key": null,
    timeout: 5,
    version: "3",
    community: "private",
    "on_value": 1,
    "off_value": 0,
  });
});

Deno.test("SNMPServer config picks the security level as upstream", () => {
  const base = { host: "pdu", user: "u", plug: 1 };
  const level = (extra: object) => securityLevel(snmpConfigSchema.parse({ ...base, ...extra }));
  assert.equal(level({ "auth_protocol": "sha", "auth_key": "k".repeat(8) }), "authNoPriv");
  assert.equal(
    level({
      "auth_protocol": "MD5",
      "auth_key": "a".repeat(8),
      "priv_protocol": "DES",
      "priv_key": "p".repeat(8),
    }),
    "authPriv",
  );
  // Upstream ignores privacy without authentication (the driver logs a warning).
  assert.equal(level({ "priv_protocol": "AES", "priv_key": "p".repeat(8) }), "noAuthNoPriv");
});

Deno.test("SNMPServer config errors say what is missing or wrong", () => {
  const base = { host: "pdu", user: "u", plug: 1 };
  assert.equal(
    issue({ ...base, "auth_protocol": "SHA" }),
    "auth_key: auth_key is required when auth_protocol is SHA",
  );
  assert.equal(
    issue({ ...base, "auth_protocol": "SHA", "auth_key": "secret12", "priv_protocol": "AES" }),
    "priv_key: priv_key is required when priv_protocol is AES",
  );
  assert.equal(issue({ host: "pdu", plug: 1 }), "user: user is required for SNMPv3 (version 3)");
  assert.equal(
    issue({ ...base, "auth_protocol": "SHA256" }),
    "auth_protocol: auth_protocol must be NONE, MD5 or SHA",
  );
  assert.equal(
    issue({ ...base, "priv_protocol": "3DES" }),
    "priv_protocol: priv_protocol must be NONE, DES or AES",
  );
  assert.equal(issue({ ...base, version: "2" }), 'version: version must be "1", "2c" or "3"');
  assert.match(issue({ ...base, oid: "outlets" }), /^oid: oid must be a numeric OID/);
  assert.match(issue({ ...base, plug: "3" }), /^plug: /);
  assert.match(issue({ ...base, "on_value": 0 }), /^on_value: on_value and off_value must differ/);
  assert.match(issue({ ...base, colour: "red" }), /colour/);
});

Deno.test("SNMPServer config for v1/v2c needs no user; a leading dot in oid is dropped", () => {
  const config = snmpConfigSchema.parse({
    host: "pdu",
    plug: 2,
    version: "2c",
    oid: ".1.3.6.1.4.1.318.1.1.4.4.2.1.3",
  });
  assert.equal(config.user, undefined);
  assert.equal(config.oid, "1.3.6.1.4.1.318.1.1.4.4.2.1.3");
  assert.equal(snmpConfigSchema.parse({ host: "pdu", plug: 2, version: 1 }).version, "1");
});
