/**
 * The shipped descriptors: the DUT Link, SD-Wire and Ykush packages (as `cli/driver_packages.ts`
 * lists them, on the machine's real USB stack) build every driver type from upstream's class paths
 * and their short names, and their children find their clients and `j` commands in the packages
 * that own them.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { powerCli, PowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { storageMuxFlasherCli, StorageMuxFlasherClient } from "@jumpstarter/driver-opendal";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { driverPackage as sdwirePackage } from "@jumpstarter/driver-sdwire/package";
import { driverPackage as yepkitPackage } from "@jumpstarter/driver-yepkit/package";
import { driverPackage } from "./package.ts";

const CLASS_PATHS = [
  "jumpstarter_driver_dutlink.driver.Dutlink",
  "jumpstarter_driver_dutlink.driver.DutlinkPower",
  "jumpstarter_driver_dutlink.driver.DutlinkStorageMux",
  "jumpstarter_driver_dutlink.driver.DutlinkSerial",
  "jumpstarter_driver_sdwire.driver.SDWire",
  "jumpstarter_driver_yepkit.driver.Ykush",
];

Deno.test("the shipped packages register upstream's class paths and short names", () => {
  const registry = driverRegistryOf([driverPackage, sdwirePackage, yepkitPackage]);
  for (const path of CLASS_PATHS) {
    const type = registry.get(path);
    assert.ok(type, `${path} is not registered`);
    assert.equal(registry.get(path.split(".").at(-1)!), type);
  }
});

Deno.test("the shipped drivers report clients whose j commands come from the power and opendal packages", () => {
  const packages = [driverPackage, sdwirePackage, yepkitPackage, powerPackage, opendalPackage];
  const registry = driverRegistryOf(packages);
  const ykush = registry.get("Ykush")!.create({ serial: null, port: "1", default: "keep" }, {});
  assert.equal(ykush.interface.client, "jumpstarter_driver_power.client.PowerClient");
  const sdwire = registry.get("SDWire")!.create({
    serial: null,
    "storage_device": null,
    "storage_timeout": 1,
    "storage_leeway": 0,
    "storage_fsync_timeout": 1,
  }, {});
  assert.equal(
    sdwire.interface.client,
    "jumpstarter_driver_opendal.client.StorageMuxFlasherClient",
  );
  const fakeClient = <T>(kind: abstract new (...args: never[]) => T) =>
    Object.create(kind.prototype) as T;
  assert.equal(cliBuilderOf(packages, fakeClient(PowerClient)), powerCli);
  assert.equal(cliBuilderOf(packages, fakeClient(StorageMuxFlasherClient)), storageMuxFlasherCli);
});
