/**
 * Upstream's README and example configs load unchanged and serve; bad values fail at start with
 * one line naming the file, line and field.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import { ProbeRsClient } from "./client.ts";

const registry = driverRegistryOf([driverPackage]);
const UPSTREAM = [
  new URL("../../tests/testdata/upstream_configs/driver-probe-rs.yaml", import.meta.url),
  new URL("./testdata/upstream_example.yaml", import.meta.url),
];

Deno.test("upstream's README and example configs load unchanged and serve", async () => {
  for (const url of UPSTREAM) {
    const config = parseExporterConfig(await Deno.readTextFile(url), url.pathname);
    const root = await buildDriverTree(config, { registry, warn: () => {} });
    await using served = await serve(root, CompositeClient, { packages: [driverPackage] });
    const probe = served.client.child("probe", ProbeRsClient);
    // the binary upstream's example names is not here: the call says so in one line
    await assert.rejects(probe.info(), {
      message: "Cannot run probe-rs info: /home/majopela/.cargo/bin/probe-rs was not found " +
        "(set probe_rs_path to the probe-rs binary)",
    });
  }
});

async function startFailure(config: string): Promise<string> {
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  probe:
    type: jumpstarter_driver_probe_rs.driver.ProbeRs
    config: ${config}
`;
  try {
    await buildDriverTree(parseExporterConfig(yaml, "lab.yaml"), { registry });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the config started");
}

Deno.test("bad ProbeRs config values fail at start naming the field", async () => {
  assert.match(
    await startFailure("{ protocol: spi }"),
    /^lab\.yaml:6:25: Invalid config .*expected "swd" or "jtag" at export\.probe\.config\.protocol$/,
  );
  assert.match(
    await startFailure('{ probe: "pico" }'),
    /expected VID:PID or VID:PID:SERIAL .* at export\.probe\.config\.probe$/,
  );
  assert.match(await startFailure("{ speed: fast }"), /at export\.probe\.config\.speed$/);
  assert.equal(
    await startFailure("{ sped: 4000 }"),
    'lab.yaml:6:15: Invalid config for driver "jumpstarter_driver_probe_rs.driver.ProbeRs": ' +
      'Unrecognized key: "sped" at export.probe.config.sped',
  );
});
