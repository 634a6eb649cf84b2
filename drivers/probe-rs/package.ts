/**
 * The probe-rs package's descriptor: the ProbeRs driver type, its client and `j` commands.
 * Apart from `mod.ts` because it loads the exporter-side driver.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  tempDirectory,
} from "@jumpstarter/lib/driver";
import { probeRsType } from "./driver.ts";
import type { ProbeRsConfig } from "./config.ts";
import { ProbeRsClient } from "./client.ts";
import { probeRsCli } from "./cli.ts";
import { probeRsInterface } from "./interface.ts";

/** `@jumpstarter/driver-probe-rs`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-probe-rs",
  driverTypes: [probeRsType],
  clients: [{ classPaths: [probeRsInterface.client], client: ProbeRsClient, cli: probeRsCli }],
  grants: { ProbeRs: probeRsGrants },
});

/**
 * The probe-rs CLI (what it reaches, the probe's USB device included, is outside Deno's reach) and
 * the temporary directory a download is spooled to.
 */
function probeRsGrants(config: ProbeRsConfig): Grants {
  return { run: [config.probe_rs_path], read: [tempDirectory()], write: [tempDirectory()] };
}
