/**
 * The MQTT topics a Tasmota plug uses, derived from the configured command and state topics,
 * and the energy readings found in its JSON messages.
 */
import type { PowerReading } from "@jumpstarter/driver-power";

/** Every topic the driver talks on. */
export interface PlugTopics {
  /** Where ON/OFF is sent, e.g. `cmnd/tasmota_1/POWER`. */
  command: string;
  /** Where the plug reports its relay, e.g. `stat/tasmota_1/POWER`. */
  state: string;
  /** Periodic telemetry, e.g. `tele/tasmota_1/SENSOR`, when known. */
  telemetry: string | undefined;
  /** Where `Status 10` (sensor status) is asked for, e.g. `cmnd/tasmota_1/STATUS`. */
  statusCommand: string | undefined;
  /** Where the plug answers `Status 10`, e.g. `stat/tasmota_1/STATUS10`. */
  statusReply: string | undefined;
  /** Which relay the command topic switches (POWER → 0, POWER2 → 1), for multi-channel meters. */
  relay: number;
}

function sibling(topic: string, leaf: string): string | undefined {
  const cut = topic.lastIndexOf("/");
  return cut < 0 ? undefined : `${topic.slice(0, cut)}/${leaf}`;
}

function telemetryOf(command: string): string | undefined {
  const levels = command.split("/");
  const prefix = levels.indexOf("cmnd");
  if (prefix < 0 || prefix === levels.length - 1) return undefined;
  levels[prefix] = "tele";
  levels[levels.length - 1] = "SENSOR";
  return levels.join("/");
}

/** Derives the topics of the plug behind `command` and `state` (Tasmota's FullTopic layout). */
export function plugTopics(command: string, state: string, telemetry?: string): PlugTopics {
  const leaf = command.slice(command.lastIndexOf("/") + 1);
  const channel = /^POWER(\d+)$/i.exec(leaf);
  return {
    command,
    state,
    telemetry: telemetry ?? telemetryOf(command),
    statusCommand: sibling(command, "STATUS"),
    statusReply: sibling(state, "STATUS10"),
    relay: channel ? Math.max(Number(channel[1]) - 1, 0) : 0,
  };
}

/** What a sensor message says about energy. */
export type EnergyReport =
  | { kind: "reading"; reading: PowerReading }
  | { kind: "no-meter" }
  | { kind: "other" };

function pick(value: unknown, relay: number): number | undefined {
  if (typeof value === "number") return value;
  if (Array.isArray(value)) {
    const item = value[relay] ?? value[0];
    return typeof item === "number" ? item : undefined;
  }
  return undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/**
 * Reads voltage and current from a `tele/.../SENSOR` payload (`{"ENERGY": {...}}`) or a
 * `Status 10` answer (`{"StatusSNS": {"ENERGY": {...}}}`). A sensor report without `ENERGY`
 * means the plug has no power meter.
 */
export function energyReport(payload: string, relay = 0): EnergyReport {
  let message: unknown;
  try {
    message = JSON.parse(payload);
  } catch {
    return { kind: "other" };
  }
  const sensors = record(record(message)?.StatusSNS) ?? record(message);
  if (!sensors) return { kind: "other" };
  const energy = record(sensors.ENERGY);
  if (!energy) return { kind: "no-meter" };
  const voltage = pick(energy.Voltage, relay);
  const current = pick(energy.Current, relay);
  if (voltage === undefined || current === undefined) return { kind: "no-meter" };
  return { kind: "reading", reading: { voltage, current } };
}
