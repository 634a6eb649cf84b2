/**
 * CAN and ISO-TP: the clients and interfaces. The exporter-side drivers are in `./driver`.
 *
 * @module
 */
export { CanClient, IsoTpClient } from "./client.ts";
export { canFilterSchema, canInterface, isoTpInterface } from "./interface.ts";
export type { CanFilter } from "./interface.ts";
export { type CanFrame, canFrame, type CanMessage } from "./message.ts";
