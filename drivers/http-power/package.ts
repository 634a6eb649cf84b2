/**
 * The http-power package's descriptor: the HttpPower driver type. Its drivers report upstream's generic
 * `PowerClient`, which (with its CLI) belongs to `@jumpstarter/driver-power`: list that package
 * too. Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  urlNetAddress,
} from "@jumpstarter/lib/driver";
import { type HttpPowerSettings, httpPowerType } from "./driver.ts";

/** `@jumpstarter/driver-http-power`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-http-power",
  driverTypes: [httpPowerType],
  clients: [],
  grants: { HttpPower: httpPowerGrants },
});

/** The hosts its requests go to (a redirect elsewhere is refused, not followed). */
function httpPowerGrants(settings: HttpPowerSettings): Grants {
  const { on, off, read } = settings.config;
  return {
    net: [...new Set([on, off, ...(read ? [read] : [])].map((spec) => urlNetAddress(spec.url)))],
  };
}
