/**
 * The tasmota package's descriptor: the TasmotaPower driver type. Its drivers report upstream's generic
 * `PowerClient`, which (with its CLI) belongs to `@jumpstarter/driver-power`: list that package
 * too. Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import { definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { tasmotaPowerType } from "./driver.ts";

/** `@jumpstarter/driver-tasmota`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-tasmota",
  driverTypes: [tasmotaPowerType],
  clients: [],
});
