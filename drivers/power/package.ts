/**
 * The power package's descriptor: the mock driver types, `PowerClient` / `VirtualPowerClient`
 * and their `j` commands. Apart from `mod.ts` because it loads the exporter-side drivers.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { mockPowerType, syncMockPowerType } from "./driver.ts";
import { PowerClient, VirtualPowerClient } from "./client.ts";
import { powerCli } from "./cli.ts";
import { powerInterface, virtualPowerInterface } from "./interface.ts";

/** `@jumpstarter/driver-power`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-power",
  driverTypes: [mockPowerType, syncMockPowerType],
  clients: [
    { classPaths: [powerInterface.client], client: PowerClient, cli: powerCli },
    { classPaths: [virtualPowerInterface.client], client: VirtualPowerClient },
  ],
  // the mocks only keep their state in memory
  grants: { MockPower: () => ({}), SyncMockPower: () => ({}) },
});
