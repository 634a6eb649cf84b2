/** The energenie descriptor, with the power package, builds and serves EnerGenie (no global registry). */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { powerCli, PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage } from "./package.ts";
import { EnerGenie } from "./driver.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  upstream:
    type: jumpstarter_driver_energenie.driver.EnerGenie
    config: { host: 192.0.2.1, password: secret, slot: 2 }
  ours:
    type: EnerGenie
    config: { host: 192.0.2.1, password: secret, slot: 2 }
`;

Deno.test("driverPackage builds EnerGenie from its upstream class path and short name", async () => {
  const packages = [powerPackage, driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  assert.ok(root.children.get("upstream") instanceof EnerGenie);
  assert.ok(root.children.get("ours") instanceof EnerGenie);
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const power = served.client.child("upstream", PowerClient);
  assert.equal(cliBuilderOf(packages, power), powerCli);
});
