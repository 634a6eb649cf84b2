/** The http-power descriptor, with the power package, builds and serves HttpPower (no global registry). */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { powerCli, PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage } from "./package.ts";
import { HttpPower } from "./driver.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  upstream:
    type: jumpstarter_driver_http_power.driver.HttpPower
    config: { power_on: { url: "http://pdu.invalid/on" }, power_off: { url: "http://pdu.invalid/off" } }
  ours:
    type: HttpPower
    config: { on: { url: "http://pdu.invalid/on" }, off: { url: "http://pdu.invalid/off" } }
`;

Deno.test("driverPackage builds HttpPower from its upstream class path and short name", async () => {
  const packages = [powerPackage, driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  assert.ok(root.children.get("upstream") instanceof HttpPower);
  assert.ok(root.children.get("ours") instanceof HttpPower);
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const power = served.client.child("upstream", PowerClient);
  assert.equal(cliBuilderOf(packages, power), powerCli);
});
