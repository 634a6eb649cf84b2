/**
 * Config keys of the gpiod drivers, as upstream's `jumpstarter_driver_gpiod.driver` dataclasses
 * take them (and validate them when the driver starts), and of the seed's raspberrypi drivers.
 */
import { z } from "zod";
import type { LineSettings } from "./uapi.ts";

/** `device`: a chip's device node; a number N means `/dev/gpiochipN` (upstream's README). */
const device = z.union([z.string().min(1), z.number().int().nonnegative()])
  .transform((value) => typeof value === "number" ? `/dev/gpiochip${value}` : value)
  .default("/dev/gpiochip0");

const line = z.number().int().nonnegative();
const activeLow = z.boolean().default(false);
const bias = z.enum(["as_is", "pull_up", "pull_down", "disabled"]).nullable()
  .default(null);
const drive = z.enum(["push_pull", "open_drain", "open_source"]).nullable()
  .default(null);
const initialValue = z.union([
  z.enum(["active", "on", "inactive", "off"]),
  z.boolean(),
])
  .nullable().default("inactive");

export const digitalOutputConfigSchema = z.object({
  device,
  line,
  drive,
  "active_low": activeLow,
  bias,
  "initial_value": initialValue,
}).strict();

export const digitalInputConfigSchema = z.object({
  device,
  line,
  drive: z.enum(["push_pull"], {
    error: "an input does not drive its line: drive may only be push_pull or null",
  }).nullable().default(null),
  "active_low": activeLow,
  bias,
}).strict();

/** PowerSwitch: an output plus upstream's `mode`, which it accepts and ignores. */
export const powerSwitchConfigSchema = digitalOutputConfigSchema.extend({
  mode: z.string().default("push_pull"),
}).strict();

export type DigitalOutputConfig = z.output<typeof digitalOutputConfigSchema>;
export type DigitalInputConfig = z.output<typeof digitalInputConfigSchema>;
export type PowerSwitchConfig = z.output<typeof powerSwitchConfigSchema>;

/** The line settings upstream's DigitalOutput requests its line with. */
export function outputSettings(config: DigitalOutputConfig): LineSettings {
  const active = config.initial_value === true ||
    config.initial_value === "active" ||
    config.initial_value === "on";
  return {
    direction: "output",
    activeLow: config.active_low,
    bias: config.bias ?? "as_is",
    drive: config.drive ?? "push_pull",
    edges: false,
    outputValue: active ? 1 : 0,
  };
}

/** The line settings upstream's DigitalInput requests its line with: both edges detected. */
export function inputSettings(config: DigitalInputConfig): LineSettings {
  return {
    direction: "input",
    activeLow: config.active_low,
    bias: config.bias ?? "as_is",
    drive: "push_pull",
    edges: true,
  };
}

const BCM_PIN = /^(?:GPIO|BCM)?(\d+)$/i;

/**
 * The seed's raspberrypi `pin` (gpiozero): a BCM number, as a number or as `"17"`, `"GPIO17"`
 * or `"BCM17"`. On a Raspberry Pi, BCM numbers are the line offsets of `/dev/gpiochip0`.
 */
const pin = z.union([
  z.number().int().nonnegative(),
  z.string().regex(BCM_PIN, {
    error: 'only BCM pin numbers are supported here (17, "17", "GPIO17" or "BCM17")',
  }),
]).transform((value) => typeof value === "number" ? value : Number(BCM_PIN.exec(value)![1]));

export const raspberryPiConfigSchema = z.object({ pin }).strict();

export type RaspberryPiConfig = z.output<typeof raspberryPiConfigSchema>;
