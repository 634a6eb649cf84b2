/**
 * SNMP PDU outlets (upstream `jumpstarter_driver_snmp`): the interface, the client and its CLI.
 * The exporter-side driver (SNMPServer) is in `./driver`.
 *
 * @module
 */
export { snmpInterface } from "./interface.ts";
export { SNMPServerClient } from "./client.ts";
export { snmpCli } from "./cli.ts";
export {
  type OutletState,
  outletStateSchema,
  POWER_OFF_MESSAGE,
  POWER_ON_MESSAGE,
} from "./types.ts";
