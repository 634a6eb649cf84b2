/**
 * TasmotaPower against the REAL upstream (head and 0.7.0): one YAML served by upstream's exporter
 * and by ours, driven by our client, sends the same MQTT commands to an emulated plug through a
 * real mosquitto, from session start to session end.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import type { DriverClient } from "@jumpstarter/lib/client";
import { PowerClient } from "@jumpstarter/driver-power";
import { upstreamPeer, type UpstreamVersion } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";
import { Mosquitto } from "./_testing/mosquitto.ts";
import { PlugEmulator } from "./_testing/plug_emulator.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [driverPackage, powerPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const DEVICE = "tasmota_C0FFEE";

function configFor(port: number): string {
  return `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: tasmota-lab }
endpoint: ""
token: ""
export:
  power:
    type: jumpstarter_driver_tasmota.driver.TasmotaPower
    config:
      host: 127.0.0.1
      port: ${port}
      tls: false
      timeout: 5
      cmnd_topic: cmnd/${DEVICE}/POWER
      stat_topic: stat/${DEVICE}/POWER
`;
}

async function drive(root: DriverClient, plug: PlugEmulator): Promise<string[]> {
  const power = root.child("power", PowerClient);
  await power.on();
  const afterOn = plug.state;
  await power.off();
  return [afterOn, plug.state];
}

for (const version of ["head", "0.7.0"] as UpstreamVersion[]) {
  Deno.test(`TasmotaPower: same MQTT commands from upstream ${version}'s exporter and ours`, async () => {
    const peer = upstreamPeer(version);
    await using broker = await Mosquitto.start(({ port }) =>
      `listener ${port} 127.0.0.1\nallow_anonymous true`
    );
    await using plug = await PlugEmulator.start({
      url: `mqtt://127.0.0.1:${broker.port}`,
      device: DEVICE,
    });
    const yaml = configFor(broker.port);
    let theirStates: string[];
    {
      await using upstream = await serveWithUpstream(peer, yaml, PACKAGES);
      theirStates = await drive(upstream.handle.root, plug);
    }
    const theirs = plug.commands.splice(0);
    const root = await buildDriverTree(parseExporterConfig(yaml, "tasmota-lab.yaml"), {
      registry: driverRegistry,
    });
    {
      await using served = await serve(root, CompositeClient, { packages: PACKAGES });
      assert.deepEqual(await drive(served.client, plug), theirStates);
    }
    assert.deepEqual(theirStates, ["ON", "OFF"]);
    assert.deepEqual(plug.commands, theirs);
  });
}
