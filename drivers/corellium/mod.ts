/**
 * Corellium virtual devices: the client of the `Corellium` composite. Its children report
 * upstream's VirtualPowerClient and PySerialClient, which belong to the power and serial packages.
 * The exporter-side drivers are in `./driver`.
 *
 * @module
 */
export { CorelliumClient } from "./client.ts";
export { corelliumConsoleInterface, corelliumPowerInterface } from "./interface.ts";
