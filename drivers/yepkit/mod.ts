/**
 * Yepkit YKUSH hubs (upstream `jumpstarter_driver_yepkit`). Clients use `PowerClient` from
 * `@jumpstarter/driver-power`; this module exports the hub's HID protocol for tools and emulators.
 *
 * @module
 */
export * from "./protocol.ts";
