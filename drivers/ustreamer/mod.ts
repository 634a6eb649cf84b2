/**
 * uStreamer (upstream's `jumpstarter-driver-ustreamer`): the interface, `UStreamerClient` and its
 * `j` commands. The exporter-side driver (`UStreamer`) is in `./driver`.
 *
 * @module
 */
export { ustreamerInterface } from "./interface.ts";
export { UStreamerClient } from "./client.ts";
export { printUStreamerState, ustreamerCli } from "./cli.ts";
export { type UStreamerState, ustreamerStateSchema } from "./state.ts";
