/**
 * The package descriptor alone (explicit registries, no global one) builds the mock drivers from
 * upstream's class paths and gives them the power clients and `j` commands.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import type { MockPower } from "./driver.ts";
import { PowerClient, VirtualPowerClient } from "./client.ts";
import { powerCli } from "./cli.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  power: { type: jumpstarter_driver_power.driver.MockPower }
  sync: { type: jumpstarter_driver_power.driver.SyncMockPower }
`;

Deno.test("driverPackage serves MockPower and SyncMockPower with PowerClient and its CLI", async () => {
  const packages = [driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const power = served.client.child("power", PowerClient);
  await power.on();
  assert.equal((root.children.get("power") as MockPower).state, "on");
  await served.client.child("sync", PowerClient).off();
  assert.equal((root.children.get("sync") as MockPower).state, "off");
  assert.equal(cliBuilderOf(packages, power), powerCli);
});

Deno.test("driverPackage maps both upstream power client paths, VirtualPowerClient to the power CLI", () => {
  const entries = clientEntriesOf([driverPackage]);
  assert.equal(entries.get("jumpstarter_driver_power.client.PowerClient")?.client, PowerClient);
  assert.equal(
    entries.get("jumpstarter_driver_power.client.VirtualPowerClient")?.client,
    VirtualPowerClient,
  );
  const virtual = Object.create(VirtualPowerClient.prototype) as VirtualPowerClient;
  assert.equal(cliBuilderOf([driverPackage], virtual), powerCli);
});
