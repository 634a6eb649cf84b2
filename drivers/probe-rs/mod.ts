/**
 * probe-rs: the interface, `ProbeRsClient` and its `j` commands. The exporter-side driver
 * (`ProbeRs`) is in `./driver`.
 *
 * @module
 */
export { probeRsInterface } from "./interface.ts";
export { ProbeRsClient, type ReadWidth } from "./client.ts";
export { probeRsCli } from "./cli.ts";
