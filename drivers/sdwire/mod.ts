/**
 * SD-Wire SD card multiplexers (upstream `jumpstarter_driver_sdwire`). Clients use the storage
 * mux flasher client of `@jumpstarter/driver-opendal`; this module exports the device's USB
 * identity and mux requests for tools and emulators.
 *
 * @module
 */
export * from "./protocol.ts";
