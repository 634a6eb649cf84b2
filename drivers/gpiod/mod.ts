/**
 * GPIO lines through the Linux GPIO character device: the interfaces, the clients and their
 * `j` commands. The exporter-side drivers are in `./driver`.
 *
 * @module
 */
export {
  digitalInputInterface,
  digitalOutputInterface,
  powerSwitchInterface,
  raspberryPiInputInterface,
  raspberryPiOutputInterface,
} from "./interface.ts";
export {
  DigitalInputClient,
  DigitalOutputClient,
  type PinState,
  RaspberryPiDigitalInputClient,
  RaspberryPiDigitalOutputClient,
} from "./client.ts";
export { digitalInputCli, digitalOutputCli } from "./cli.ts";
