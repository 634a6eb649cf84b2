/** The snmp descriptor builds and serves SNMPServer with its client and CLI (no global registry). */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import { SNMPServer } from "./driver.ts";
import { SNMPServerClient } from "./client.ts";
import { snmpCli } from "./cli.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  upstream:
    type: jumpstarter_driver_snmp.driver.SNMPServer
    config: { host: 127.0.0.1, plug: 3, user: alice }
  ours:
    type: SNMPServer
    config: { host: 127.0.0.1, plug: 4, user: alice }
`;

Deno.test("driverPackage builds SNMPServer and gives it SNMPServerClient and snmpCli", async () => {
  const packages = [driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  assert.ok(root.children.get("upstream") instanceof SNMPServer);
  assert.ok(root.children.get("ours") instanceof SNMPServer);
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const outlet = served.client.child("upstream", SNMPServerClient);
  assert.equal(cliBuilderOf(packages, outlet), snmpCli);
});
