/**
 * EnerGenie against the REAL upstream (head and 0.7.0): one YAML served by upstream's exporter and
 * by ours, driven by our client, makes the same HTTP requests to the emulated EG-PMS2-LAN and
 * leaves its sockets the same.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import type { DriverClient } from "@jumpstarter/lib/client";
import { PowerClient } from "@jumpstarter/driver-power";
import { upstreamPeer, type UpstreamVersion } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";
import { EnerGenieEmulator } from "./_testing/energenie_emulator.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [driverPackage, powerPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

function configFor(host: string): string {
  return `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: energenie-lab }
endpoint: ""
token: ""
export:
  power:
    type: jumpstarter_driver_energenie.driver.EnerGenie
    config:
      host: "${host}"
      password: "s3cret"
      slot: 3
`;
}

async function drive(root: DriverClient, device: EnerGenieEmulator) {
  const power = root.child("power", PowerClient);
  await power.on();
  const afterOn = [...device.sockets];
  await power.off();
  return { afterOn, afterOff: [...device.sockets] };
}

for (const version of ["head", "0.7.0"] as UpstreamVersion[]) {
  Deno.test(`EnerGenie: same requests and socket states from upstream ${version}'s exporter and ours`, async () => {
    const peer = upstreamPeer(version);
    await using device = new EnerGenieEmulator("s3cret");
    const yaml = configFor(device.host);
    let theirStates;
    {
      await using upstream = await serveWithUpstream(peer, yaml, PACKAGES);
      theirStates = await drive(upstream.handle.root, device);
    }
    const theirs = device.requests.splice(0);
    const theirEvents = device.events.splice(0);
    device.expireSession();
    const root = await buildDriverTree(parseExporterConfig(yaml, "energenie-lab.yaml"), {
      registry: driverRegistry,
    });
    await using served = await serve(root, CompositeClient, { packages: PACKAGES });
    const ourStates = await drive(served.client, device);
    assert.deepEqual(theirStates, { afterOn: [0, 0, 1, 0], afterOff: [0, 0, 0, 0] });
    assert.deepEqual(ourStates, theirStates);
    assert.deepEqual(device.events, theirEvents);
    assert.deepEqual(device.requests, theirs);
  });
}
