/**
 * DUT Link boards (upstream `jumpstarter_driver_dutlink`). Clients need nothing from here: the
 * board's children report the composite, power, storage mux flasher and serial clients. The
 * protocol constants and reading parser are exported for tools and emulators.
 *
 * @module
 */
export {
  DUTLINK_INTERFACE,
  DUTLINK_PRODUCT_ID,
  DUTLINK_VENDOR_ID,
  parsePowerReading,
  POWER_ACTIONS,
  READ_KEYS,
  type Reading,
  Request,
  STORAGE_ACTIONS,
} from "./protocol.ts";
