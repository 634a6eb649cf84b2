/** The tasmota descriptor, with the power package, builds and serves TasmotaPower (no global registry). */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { powerCli, PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage } from "./package.ts";
import { TasmotaPower } from "./driver.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  upstream:
    type: jumpstarter_driver_tasmota.driver.TasmotaPower
    config: { host: 127.0.0.1, cmnd_topic: cmnd/plug/POWER, stat_topic: stat/plug/POWER }
  ours:
    type: TasmotaPower
    config: { host: 127.0.0.1, cmnd_topic: cmnd/plug/POWER, stat_topic: stat/plug/POWER }
`;

Deno.test("driverPackage builds TasmotaPower from its upstream class path and short name", async () => {
  const packages = [powerPackage, driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  assert.ok(root.children.get("upstream") instanceof TasmotaPower);
  assert.ok(root.children.get("ours") instanceof TasmotaPower);
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const power = served.client.child("upstream", PowerClient);
  assert.equal(cliBuilderOf(packages, power), powerCli);
});
