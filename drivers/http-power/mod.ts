/**
 * HttpPower, client side: the driver speaks PowerInterface, so its client is `PowerClient`
 * (`j <name> on|off|cycle|read`). The exporter-side driver is in `./driver`.
 *
 * @module
 */
export {
  powerCli,
  PowerClient,
  powerInterface,
  type PowerReading,
} from "@jumpstarter/driver-power";
