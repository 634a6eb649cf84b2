import { z } from "zod";
import { defineInterface, streaming, unary } from "@jumpstarter/lib/driver";

/** Power switch: on, off, and a stream of readings. `cycle` is done by the client. */
export const powerInterface = defineInterface({
  client: "jumpstarter_driver_power.client.PowerClient",
  description: "Power control",
  methods: {
    on: unary([], { description: "Power on" }),
    off: unary([], { description: "Power off" }),
    read: streaming([], { description: "Stream power readings" }),
  },
});

/**
 * PowerInterface plus `rescue` (a recovery power state), which upstream's `PowerClient.rescue()`
 * calls and DUT Link's power driver exports; reported as the same `PowerClient`.
 */
export const rescuePowerInterface = defineInterface({
  client: powerInterface.client,
  description: "Power control with rescue mode",
  methods: {
    on: unary([], { description: "Power on" }),
    off: unary([], { description: "Power off" }),
    rescue: unary([], { description: "Put the device in rescue mode" }),
    read: streaming([], { description: "Stream power readings" }),
  },
});

/** Power of a virtual target (e.g. QEMU): `off(destroy)` may also discard its state. */
export const virtualPowerInterface = defineInterface({
  client: "jumpstarter_driver_power.client.VirtualPowerClient",
  description: "Virtual power control",
  methods: {
    on: unary([], { description: "Power on" }),
    off: unary([z.boolean().optional()], { description: "Power off" }),
    read: streaming([], { description: "Stream power readings" }),
  },
});
