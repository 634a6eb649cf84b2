/** Config keys of upstream's `ProbeRs` driver. */
import { z } from "zod";

export const probeRsConfigSchema = z.object({
  /** Probe selector: `VID:PID` or `VID:PID:SERIAL`. */
  probe: z.string().regex(/^[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}(:.+)?$/, {
    error: "expected VID:PID or VID:PID:SERIAL (hexadecimal ids), e.g. 2e8a:000c",
  }).nullable().default(null),
  "probe_rs_path": z.string().min(1).default("probe-rs"),
  chip: z.string().min(1).nullable().default(null),
  protocol: z.string().regex(/^(swd|jtag)$/i, { error: 'expected "swd" or "jtag"' })
    .nullable().default(null),
  "connect_under_reset": z.boolean().default(false),
  /** Connection speed in kHz. */
  speed: z.number().int().positive().nullable().default(null),
}).strict();

export type ProbeRsConfig = z.output<typeof probeRsConfigSchema>;

/**
 * The environment probe-rs runs with, replacing the exporter's (as upstream): probe-rs reads its
 * options from these variables.
 */
export function probeRsEnvironment(config: ProbeRsConfig): Record<string, string> {
  const env: Record<string, string> = { "PROBE_RS_NON_INTERACTIVE": "true" };
  if (config.probe) env["PROBE_RS_PROBE"] = config.probe;
  if (config.chip) env["PROBE_RS_CHIP"] = config.chip;
  if (config.protocol) env["PROBE_RS_PROTOCOL"] = config.protocol;
  if (config.connect_under_reset) env["PROBE_RS_CONNECT_UNDER_RESET"] = "true";
  if (config.speed) env["PROBE_RS_SPEED"] = String(config.speed);
  return env;
}
