import { z } from "zod";
import { byteStream, defineInterface, unary } from "@jumpstarter/lib/driver";

/** Upstream's `Corellium` root: a composite reported with `CorelliumClient`. */
export const corelliumInterface = defineInterface({
  client: "jumpstarter_driver_corellium.client.CorelliumClient",
  description: "Corellium virtual device",
  methods: {},
});

/** Upstream's `CorelliumPower` (VirtualPowerInterface): `off(destroy)` also deletes the instance. */
export const corelliumPowerInterface = defineInterface({
  client: "jumpstarter_driver_power.client.VirtualPowerClient",
  description: "Corellium virtual device power",
  methods: {
    on: unary([], {
      description: "Power on (creating the instance if there is none)",
    }),
    off: unary([z.boolean().optional()], {
      description: "Power off; with true, also delete the instance",
    }),
    // upstream exports read as a unary call that raises NotImplementedError
    read: unary([], { description: "Not available on Corellium" }),
  },
});

/**
 * Upstream's `CorelliumConsole` (a WebsocketNetwork): reported with PySerialClient so that serial
 * console tools work on it.
 */
export const corelliumConsoleInterface = defineInterface({
  client: "jumpstarter_driver_pyserial.client.PySerialClient",
  description: "Corellium virtual device console",
  methods: {
    connect: byteStream({
      description: "Connect to the instance's console websocket",
    }),
    address: unary([], { description: "The console's websocket URL" }),
  },
});
