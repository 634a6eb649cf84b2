/**
 * The http-power package's descriptor: the HttpPower driver type. Its drivers report upstream's generic
 * `PowerClient`, which (with its CLI) belongs to `@jumpstarter/driver-power`: list that package
 * too. Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { httpPowerType } from "./driver.ts";

/** `@jumpstarter/driver-http-power`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-http-power",
  driverTypes: [httpPowerType],
  clients: [],
});
