/**
 * Serial ports (upstream `jumpstarter_driver_pyserial`): the interface, the client (byte
 * stream, expect sessions, console log) and its CLI (`start-console`, `log`). The exporter-side
 * driver (PySerial) is in `./driver`.
 *
 * @module
 */
export { pyserialInterface } from "./interface.ts";
export { PySerialClient, type ReadLogOptions } from "./client.ts";
export { INTERRUPTED_EXIT_CODE, pyserialCli, type SerialCliIo } from "./cli.ts";
export { type ConsoleEnd, type ConsoleIo, CTRL_B, EscapeDetector, runConsole } from "./console.ts";
