/** The package descriptor alone: upstream's class path builds; the client and CLI are found. */
import assert from "node:assert/strict";
import { cliBuilderOf, clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { driverPackage } from "./package.ts";
import { ProbeRsClient } from "./client.ts";
import { probeRsCli } from "./cli.ts";

Deno.test("driverPackage builds ProbeRs from upstream's class path with ProbeRsClient and its CLI", () => {
  const type = driverRegistryOf([driverPackage]).get("jumpstarter_driver_probe_rs.driver.ProbeRs");
  assert.equal(type?.name, "ProbeRs");
  const entry = clientEntriesOf([driverPackage])
    .get("jumpstarter_driver_probe_rs.client.ProbeRsClient");
  assert.equal(entry?.client, ProbeRsClient);
  assert.equal(
    cliBuilderOf([driverPackage], Object.create(ProbeRsClient.prototype)),
    probeRsCli,
  );
});
