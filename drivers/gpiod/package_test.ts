/**
 * The package descriptor alone: every class path (gpiod's and the seed's raspberrypi ones)
 * builds, and each reported client class finds its client and `j` commands.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { powerCli } from "@jumpstarter/driver-power";
import { driverPackage } from "./package.ts";
import {
  DigitalInputClient,
  DigitalOutputClient,
  RaspberryPiDigitalInputClient,
  RaspberryPiDigitalOutputClient,
} from "./client.ts";
import { digitalInputCli, digitalOutputCli } from "./cli.ts";

Deno.test("driverPackage names upstream's class paths and the seed's", () => {
  const registry = driverRegistryOf([driverPackage]);
  for (
    const path of [
      "jumpstarter_driver_gpiod.driver.DigitalOutput",
      "jumpstarter_driver_gpiod.driver.DigitalInput",
      "jumpstarter_driver_gpiod.driver.PowerSwitch",
      "jumpstarter_driver_raspberrypi.driver.DigitalOutput",
      "jumpstarter_driver_raspberrypi.driver.DigitalInput",
    ]
  ) {
    assert.ok(registry.get(path), `${path} is not registered`);
  }
  const entries = clientEntriesOf([driverPackage]);
  const expected = [
    ["jumpstarter_driver_gpiod.client.DigitalOutputClient", DigitalOutputClient],
    ["jumpstarter_driver_gpiod.client.DigitalInputClient", DigitalInputClient],
    ["jumpstarter_driver_raspberrypi.client.DigitalOutputClient", RaspberryPiDigitalOutputClient],
    ["jumpstarter_driver_raspberrypi.client.DigitalInputClient", RaspberryPiDigitalInputClient],
  ] as const;
  for (const [path, client] of expected) assert.equal(entries.get(path)?.client, client, path);
  const instance = (cls: object) => Object.create((cls as { prototype: object }).prototype);
  assert.equal(cliBuilderOf([driverPackage], instance(DigitalOutputClient)), digitalOutputCli);
  assert.equal(cliBuilderOf([driverPackage], instance(DigitalInputClient)), digitalInputCli);
  assert.equal(cliBuilderOf([driverPackage], instance(RaspberryPiDigitalOutputClient)), powerCli);
  assert.equal(cliBuilderOf([driverPackage], instance(RaspberryPiDigitalInputClient)), undefined);
});
