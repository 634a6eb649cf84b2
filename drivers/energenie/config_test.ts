import assert from "node:assert/strict";
import { ConfigError, parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { EnerGenie, energenieType } from "./driver.ts";
import { energenieConfigSchema } from "./config.ts";
import { driverPackage } from "./package.ts";
import { driverRegistryOf } from "@jumpstarter/lib/driver";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const SLOT_MESSAGE = "slot must be between 1 and 4 (the EG-PMS2-LAN has 4 sockets)";

function problems(config: unknown): string[] {
  const result = energenieType.config.safeParse(config);
  assert.ok(!result.success, "the config was accepted");
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

function exporterConfig(config: string) {
  return parseExporterConfig(
    `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  power:
    type: jumpstarter_driver_energenie.driver.EnerGenie
    config:
${config}`,
    "lab.yaml",
  );
}

Deno.test("EnerGenie config takes upstream's keys and defaults", () => {
  assert.deepEqual(energenieConfigSchema.parse({ host: "192.168.1.51" }), {
    host: "192.168.1.51",
    password: "1",
    slot: 1,
  });
  // Upstream's README writes the slot as a string.
  assert.deepEqual(energenieConfigSchema.parse({ host: "pdu.lab:8080", slot: "4" }), {
    host: "pdu.lab:8080",
    password: "1",
    slot: 4,
  });
  assert.equal(energenieConfigSchema.parse({ host: "[::1]:80", slot: 2 }).slot, 2);
});

Deno.test("EnerGenie config rejects a slot outside 1-4 and a host with a scheme or path", () => {
  assert.deepEqual(problems({ host: "pdu", slot: 5 }), [`slot: ${SLOT_MESSAGE}`]);
  assert.deepEqual(problems({ host: "pdu", slot: 0 }), [`slot: ${SLOT_MESSAGE}`]);
  assert.deepEqual(problems({ host: "pdu", slot: 2.5 }), [`slot: ${SLOT_MESSAGE}`]);
  assert.deepEqual(problems({ host: "pdu", slot: "5" }), [`slot: ${SLOT_MESSAGE}`]);
  assert.equal(problems({ host: "pdu", slot: "two" }).length, 1);
  const hostProblem = "host: expected a host name or address with an optional :port " +
    "(no scheme or path)";
  assert.deepEqual(problems({ host: "http://pdu/" }), [hostProblem]);
  assert.deepEqual(problems({ host: "pdu/login.html" }), [hostProblem]);
  assert.deepEqual(problems({ host: "admin:pw@pdu" }), [hostProblem]);
  assert.deepEqual(problems({}).map((p) => p.split(":")[0]), ["host"]);
  assert.match(problems({ host: "pdu", port: 80 })[0]!, /Unrecognized key.*"port"/);
  assert.throws(
    () => new EnerGenie({ host: "pdu", slot: 5 }),
    new RegExp(SLOT_MESSAGE.slice(0, 20)),
  );
});

Deno.test("EnerGenie loads from an exporter config; slot 5 is a config error at the field", async () => {
  const root = await buildDriverTree(
    exporterConfig(`      host: "192.168.1.51"
      password: "1"
      slot: 1
`),
    { registry: driverRegistry },
  );
  assert.ok(root.children.get("power") instanceof EnerGenie);

  await assert.rejects(
    buildDriverTree(
      exporterConfig(`      host: "192.168.1.51"
      slot: 5
`),
      { registry: driverRegistry },
    ),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.field, "export.power.config.slot");
      assert.equal(
        e.reason,
        `Invalid config for driver "jumpstarter_driver_energenie.driver.EnerGenie": ${SLOT_MESSAGE}`,
      );
      assert.match(e.message, /^lab\.yaml:\d+:\d+: /);
      return true;
    },
  );
});
