/** The can descriptor builds every upstream class path and finds the clients they report. */
import assert from "node:assert/strict";
import { clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { driverPackage } from "./package.ts";
import { CanClient, IsoTpClient } from "./client.ts";

Deno.test("driverPackage lists upstream's Can, IsoTpPython, IsoTpSocket and their clients", () => {
  const registry = driverRegistryOf([driverPackage]);
  for (const name of ["Can", "IsoTpPython", "IsoTpSocket"]) {
    const type = registry.types().find((candidate) => candidate.name === name);
    assert.deepEqual(type?.aliases, [`jumpstarter_driver_can.driver.${name}`]);
  }
  const clients = clientEntriesOf([driverPackage]);
  assert.equal(clients.get("jumpstarter_driver_can.client.CanClient")?.client, CanClient);
  assert.equal(clients.get("jumpstarter_driver_can.client.IsoTpClient")?.client, IsoTpClient);
});
