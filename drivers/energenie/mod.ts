/**
 * EnerGenie, client side: upstream's client is `PowerClient` (`j <name> on|off|cycle`). The
 * exporter-side driver is in `./driver`.
 *
 * @module
 */
export { powerCli, PowerClient, powerInterface } from "@jumpstarter/driver-power";
