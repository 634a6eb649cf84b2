/**
 * The snmp package's descriptor: the SNMPServer driver type, `SNMPServerClient` and its `j`
 * commands. Apart from `mod.ts` because it loads the exporter-side driver (and net-snmp).
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  netAddress,
} from "@jumpstarter/lib/driver";
import type { SnmpConfig } from "./config.ts";
import { snmpServerType } from "./driver.ts";
import { SNMPServerClient } from "./client.ts";
import { snmpCli } from "./cli.ts";
import { snmpInterface } from "./interface.ts";

/** `@jumpstarter/driver-snmp`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-snmp",
  driverTypes: [snmpServerType],
  clients: [{ classPaths: [snmpInterface.client], client: SNMPServerClient, cli: snmpCli }],
  // the PDU's agent, over UDP
  grants: { SNMPServer: snmpGrants },
});

/**
 * The agent's address, and binding its own UDP socket on any local port (net-snmp binds
 * `0.0.0.0:0` when it first sends, which Deno checks as a net grant).
 */
function snmpGrants(config: SnmpConfig): Grants {
  return { net: [netAddress(config.host, config.port), netAddress("0.0.0.0", 0)] };
}
