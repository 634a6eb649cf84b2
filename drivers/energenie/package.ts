/**
 * The energenie package's descriptor: the EnerGenie driver type. Its drivers report upstream's generic
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
import { energenieType } from "./driver.ts";
import type { EnerGenieConfig } from "./config.ts";

/** `@jumpstarter/driver-energenie`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-energenie",
  driverTypes: [energenieType],
  clients: [],
  grants: { EnerGenie: energenieGrants },
});

/** The strip's web interface (`host`, port 80 unless it names one). */
function energenieGrants(config: EnerGenieConfig): Grants {
  return { net: [urlNetAddress(`http://${config.host}`)] };
}
