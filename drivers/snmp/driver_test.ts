/**
 * SNMPServer against a real net-snmp `snmpd` (Debian packages `snmpd` and `snmp`), through the
 * real client <-> exporter path.
 */
import assert from "node:assert/strict";
import { Composite } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import {
  ConnectionError,
  DriverError,
  DriverTimeoutError,
  MethodNotImplementedError,
} from "@jumpstarter/lib/wire";
import { PowerClient } from "@jumpstarter/driver-power";
import { SNMPServer } from "./driver.ts";
import { SNMPServerClient } from "./client.ts";
import { snmpCli } from "./cli.ts";
import { type SnmpConfigInput, snmpConfigSchema } from "./config.ts";
import { POWER_OFF_MESSAGE, POWER_ON_MESSAGE } from "./types.ts";
import { OUTLET_OID, Snmpd, type SnmpdUser } from "./_testing/snmpd.ts";
import { driverPackage } from "./package.ts";

const PACKAGES = [driverPackage];

function snmpServer(port: number, config: Partial<SnmpConfigInput>): SNMPServer {
  return new SNMPServer(snmpConfigSchema.parse({ host: "127.0.0.1", port, plug: 3, ...config }));
}

function rejectsWith(kind: abstract new (...args: never[]) => Error, ...patterns: RegExp[]) {
  return (error: unknown) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${error}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  };
}

const ALICE: SnmpdUser = {
  name: "alice",
  auth: { protocol: "SHA", key: "alice-auth-key" },
  priv: { protocol: "AES", key: "alice-priv-key" },
};
const ALICE_CONFIG = {
  user: "alice",
  "auth_protocol": "SHA",
  "auth_key": "alice-auth-key",
  "priv_protocol": "AES",
  "priv_key": "alice-priv-key",
} as const;

Deno.test("SNMPServer v2c: on/off are SETs the PDU records; read and snmpget agree", async () => {
  await using pdu = await Snmpd.start({ communities: ["private"] });
  await using served = await serve(snmpServer(pdu.port, { version: "2c" }), SNMPServerClient);
  assert.equal(served.client.clientClass, "jumpstarter_driver_snmp.client.SNMPServerClient");
  assert.ok(served.client instanceof PowerClient);
  const logs = served.session.logs.subscribe();

  assert.equal(await served.client.switch("on"), POWER_ON_MESSAGE);
  assert.deepEqual(await pdu.sets(), ["3 1"]);
  assert.deepEqual(await served.client.state(), { state: "on", raw: 1 });
  assert.equal(await pdu.snmpget(`${OUTLET_OID}.3`, "private"), "1");

  assert.equal(await served.client.switch("off"), POWER_OFF_MESSAGE);
  assert.deepEqual(await pdu.sets(), ["3 1", "3 0"]);
  assert.deepEqual(await served.client.state(), { state: "off", raw: 0 });
  assert.equal(await pdu.snmpget(`${OUTLET_OID}.3`, "private"), "0");

  const iterator = logs[Symbol.asyncIterator]();
  assert.match(
    (await iterator.next()).value?.message ?? "",
    /^power on: outlet 3 of 127\.0\.0\.1:/,
  );
  assert.match((await iterator.next()).value?.message ?? "", /^power off: outlet 3 /);
  logs.close();
});

Deno.test("SNMPServer v1 with other on/off values: cycle, and a state that is neither", async () => {
  await using pdu = await Snmpd.start({ communities: ["lab"] });
  const driver = snmpServer(pdu.port, {
    version: 1,
    community: "lab",
    plug: 5,
    "on_value": 1,
    "off_value": 2,
  });
  await using served = await serve(driver, SNMPServerClient);
  await pdu.writeOutlet(5, 7);
  assert.deepEqual(await served.client.state(), { state: "unknown", raw: 7 });
  assert.equal(await pdu.snmpget(`${OUTLET_OID}.5`, "lab"), "7");
  await served.client.cycle({ wait: 0.05 });
  assert.deepEqual(await pdu.sets(), ["5 2", "5 1"]);
  assert.deepEqual(await served.client.state(), { state: "on", raw: 1 });
});

Deno.test("SNMPServer v3 works at every security level, DES and AES included", async (t) => {
  const users: SnmpdUser[] = [
    { name: "bob" },
    { name: "carol", auth: { protocol: "MD5", key: "carol-auth-key" } },
    ALICE,
    {
      name: "dave",
      auth: { protocol: "MD5", key: "dave-auth-key" },
      priv: { protocol: "DES", key: "dave-priv-key" },
    },
  ];
  await using pdu = await Snmpd.start({ communities: ["private"], users });
  const cases: [string, number, Partial<SnmpConfigInput>][] = [
    ["noAuthNoPriv", 1, { user: "bob" }],
    ["authNoPriv MD5", 2, { user: "carol", "auth_protocol": "MD5", "auth_key": "carol-auth-key" }],
    ["authPriv SHA+AES", 3, ALICE_CONFIG],
    ["authPriv MD5+DES", 4, {
      user: "dave",
      "auth_protocol": "MD5",
      "auth_key": "dave-auth-key",
      "priv_protocol": "DES",
      "priv_key": "dave-priv-key",
    }],
  ];
  for (const [level, plug, config] of cases) {
    await t.step(level, async () => {
      await using served = await serve(snmpServer(pdu.port, { plug, ...config }), SNMPServerClient);
      await served.client.on();
      assert.deepEqual(await served.client.state(), { state: "on", raw: 1 });
      assert.equal(await pdu.snmpget(`${OUTLET_OID}.${plug}`, "private"), "1");
      await served.client.off();
      assert.deepEqual(await served.client.state(), { state: "off", raw: 0 });
      assert.deepEqual((await pdu.sets()).slice(-2), [`${plug} 1`, `${plug} 0`]);
    });
  }
});

Deno.test("SNMPServer errors name the agent and OID, and the exporter keeps serving", async (t) => {
  await using pdu = await Snmpd.start({ communities: ["private"], users: [ALICE] });
  const address = `127\\.0\\.0\\.1:${pdu.port}`;
  const outlet = `${OUTLET_OID.replaceAll(".", "\\.")}\\.3`;
  const root = new Composite();
  root.addChild("good", snmpServer(pdu.port, { version: "2c" }));
  root.addChild(
    "community",
    snmpServer(pdu.port, { version: "2c", community: "wrong", timeout: 0.3 }),
  );
  root.addChild("auth", snmpServer(pdu.port, { ...ALICE_CONFIG, "auth_key": "not-alice-key" }));
  root.addChild(
    "priv",
    snmpServer(pdu.port, { ...ALICE_CONFIG, "priv_key": "not-alice-key", timeout: 0.3 }),
  );
  root.addChild("missing", snmpServer(pdu.port, { version: "2c", plug: 42 }));
  await using served = await serve(root, undefined, { packages: PACKAGES });
  const client = (name: string) => served.client.child(name, SNMPServerClient);

  await t.step("a wrong community times out (agents ignore it)", async () => {
    const started = performance.now();
    await assert.rejects(
      client("community").on(),
      rejectsWith(DriverTimeoutError, new RegExp(address), new RegExp(outlet), /community "wrong"/),
    );
    assert.ok(performance.now() - started < 3000, "the timeout is the configured 0.3 s");
  });

  await t.step("a wrong v3 auth key is rejected by the agent", async () => {
    await assert.rejects(
      client("auth").on(),
      rejectsWith(DriverError, new RegExp(address), new RegExp(outlet), /Wrong Digest/, /"alice"/),
    );
    await assert.rejects(client("auth").state(), rejectsWith(DriverError, /Wrong Digest/));
  });

  await t.step("a wrong v3 priv key times out (the agent cannot decrypt)", async () => {
    await assert.rejects(
      client("priv").off(),
      rejectsWith(DriverTimeoutError, new RegExp(address), new RegExp(outlet), /priv_key/),
    );
  });

  await t.step("an outlet the PDU does not have", async () => {
    await assert.rejects(client("missing").on(), rejectsWith(DriverError, /NotWritable/, /plug/));
    await assert.rejects(client("missing").state(), rejectsWith(DriverError, /no such object/));
  });

  await t.step("a refused SET, then the same driver works again", async () => {
    await pdu.setReadOnly(true);
    await assert.rejects(client("good").on(), rejectsWith(DriverError, /NotWritable/));
    await pdu.setReadOnly(false);
    await client("good").on();
  });

  assert.deepEqual(await pdu.sets(), ["3 1"], "only the good SET reached the outlet");
  assert.deepEqual(await client("good").state(), { state: "on", raw: 1 });
});

Deno.test("SNMPServer warns at session start that privacy without auth is ignored", () => {
  const driver = new SNMPServer(snmpConfigSchema.parse({
    host: "pdu",
    user: "u",
    plug: 1,
    "priv_protocol": "AES",
    "priv_key": "secret-priv",
  }));
  const warnings: string[] = [];
  driver.logger.setSink((record) => warnings.push(`${record.severity} ${record.message}`));
  driver.reset();
  assert.deepEqual(warnings, [
    "WARNING priv_protocol AES is ignored: auth_protocol is NONE, so requests to the PDU are " +
    "neither authenticated nor encrypted",
  ]);
});

Deno.test("SNMPServer reports a host it cannot resolve", async () => {
  const driver = new SNMPServer(
    snmpConfigSchema.parse({ host: "pdu.invalid", version: "2c", plug: 1, timeout: 3 }),
  );
  await using served = await serve(driver, SNMPServerClient);
  await assert.rejects(
    served.client.on(),
    rejectsWith(ConnectionError, /Cannot resolve SNMP agent host "pdu\.invalid"/),
  );
});

Deno.test("SNMPServerClient.read() says to use state(); snmpCli prints state and results", async () => {
  await using pdu = await Snmpd.start({ communities: ["private"] });
  await using served = await serve(snmpServer(pdu.port, { version: "2c" }), SNMPServerClient);
  assert.throws(() => served.client.read(), rejectsWith(MethodNotImplementedError, /state\(\)/));

  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    const program = snmpCli(served.client, "power");
    await program.parseAsync(["on"], { from: "user" });
    await program.parseAsync(["read"], { from: "user" });
    await program.parseAsync(["off"], { from: "user" });
    await program.parseAsync(["read"], { from: "user" });
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed, [
    POWER_ON_MESSAGE,
    "state=on raw=1",
    POWER_OFF_MESSAGE,
    "state=off raw=0",
  ]);
});
