/**
 * The tasmota package's descriptor: the TasmotaPower driver type. Its drivers report upstream's generic
 * `PowerClient`, which (with its CLI) belongs to `@jumpstarter/driver-power`: list that package
 * too. Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  netAddress,
} from "@jumpstarter/lib/driver";
import { tasmotaPowerType } from "./driver.ts";
import type { TasmotaConfig } from "./config.ts";

/** `@jumpstarter/driver-tasmota`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-tasmota",
  driverTypes: [tasmotaPowerType],
  clients: [],
  grants: { TasmotaPower: tasmotaGrants },
});

/** The broker (its `host:port`, or its socket path over `transport: unix`) and the `ca_file`. */
function tasmotaGrants(config: TasmotaConfig): Grants {
  const ca = config.ca_file === undefined ? [] : [config.ca_file];
  if (config.transport === "unix") {
    return { read: [config.host, ...ca], write: [config.host] };
  }
  return { net: [netAddress(config.host, config.port)], ...(ca.length ? { read: ca } : {}) };
}
