/**
 * The U-Boot console of a DUT (upstream `jumpstarter_driver_uboot`): the interface, the client
 * (reboot to the console, run commands, environment, DHCP) and its CLI. The exporter-side driver
 * (UbootConsole) is in `./driver`.
 *
 * @module
 */
export { ubootInterface } from "./interface.ts";
export { type TimeoutOptions, UbootConsoleClient } from "./client.ts";
export { ubootCli, type UbootCliIo } from "./cli.ts";
export { type DhcpInfo, dhcpInfoSchema, prefixLength } from "./types.ts";
