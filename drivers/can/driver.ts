/**
 * The exporter-side CAN drivers: `Can`, `IsoTpPython`, `IsoTpSocket`.
 *
 * @module
 */
export { Can, canConfigSchema, canType } from "./can_driver.ts";
export { matchesFilters } from "./filters.ts";
export { IsoTpPython, isoTpPythonType, IsoTpSocket, isoTpSocketType } from "./isotp_driver.ts";
export { VirtualBus } from "./virtual_bus.ts";
export { UdpMulticastBus } from "./udp_multicast_bus.ts";
