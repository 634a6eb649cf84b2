/**
 * The gpiod drivers' methods, by upstream's wire names, and the seed's raspberrypi ones. A
 * PowerSwitch reports upstream's generic `PowerClient` (its Python class puts PowerInterface
 * first), so `j` gives it the power commands.
 */
import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";
import { powerInterface } from "@jumpstarter/driver-power";

/** Seconds to wait; null or 0 waits for ever (upstream's `timeout or 1e9`). */
const timeout = z.number().nullable().optional();
const edgeType = z.enum(["rising", "falling"], {
  error: "must be one of: rising, falling",
});

const readPin = unary([], { description: "Read current pin state" });

export const digitalOutputInterface = defineInterface({
  client: "jumpstarter_driver_gpiod.client.DigitalOutputClient",
  description: "GPIO power control commands",
  methods: {
    on: unary([], { description: "Set the pin to active state" }),
    off: unary([], { description: "Set the pin to inactive state" }),
    read_pin: readPin,
  },
});

export const digitalInputInterface = defineInterface({
  client: "jumpstarter_driver_gpiod.client.DigitalInputClient",
  description: "GPIO input commands",
  methods: {
    read_pin: readPin,
    wait_for_active: unary([timeout], { description: "Wait for active" }),
    wait_for_inactive: unary([timeout], { description: "Wait for inactive" }),
    wait_for_edge: unary([edgeType, timeout], { description: "Wait for edge" }),
  },
});

export const powerSwitchInterface = defineInterface({
  client: powerInterface.client,
  description: "GPIO power switch",
  methods: {
    on: unary([], { description: "Switch on the power" }),
    off: unary([], { description: "Switch off the power" }),
    read: powerInterface.methods.read,
    read_pin: readPin,
  },
});

/** The seed's raspberrypi output: on and off only (its client is a PowerClient). */
export const raspberryPiOutputInterface = defineInterface({
  client: "jumpstarter_driver_raspberrypi.client.DigitalOutputClient",
  description: "GPIO power control commands",
  methods: {
    on: unary([], { description: "Turn power on" }),
    off: unary([], { description: "Turn power off" }),
  },
});

/** The seed's raspberrypi input: waits that return (without error) when their time is up. */
export const raspberryPiInputInterface = defineInterface({
  client: "jumpstarter_driver_raspberrypi.client.DigitalInputClient",
  description: "GPIO input",
  methods: {
    wait_for_active: unary([timeout], { description: "Wait for active" }),
    wait_for_inactive: unary([timeout], { description: "Wait for inactive" }),
  },
});
