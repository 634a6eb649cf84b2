/**
 * Power control: the PowerInterface contract, the client and its CLI. Exporter-side drivers
 * (MockPower, SyncMockPower) are in `./driver`.
 *
 * @module
 */
export { powerInterface, rescuePowerInterface, virtualPowerInterface } from "./interface.ts";
export { type CycleOptions, PowerClient, VirtualPowerClient } from "./client.ts";
export { parseSeconds, powerCli, type PowerCliContext } from "./cli.ts";
export { apparentPower, type PowerReading, powerReadingSchema } from "./types.ts";
