/**
 * Power control: the PowerInterface contract, the client and its CLI. Exporter-side drivers
 * (MockPower, SyncMockPower) are in `./driver`.
 *
 * @module
 */
export { powerInterface, rescuePowerInterface, virtualPowerInterface } from "./interface.ts";
export {
  type CycleOptions,
  PowerClient,
  powerCycle,
  type Switchable,
  VirtualPowerClient,
} from "./client.ts";
export { addCycleCommand, powerCli, type PowerCliContext } from "./cli.ts";
export { apparentPower, type PowerReading, powerReadingSchema } from "./types.ts";
