import { z } from "zod";

/**
 * The outlet state `read` yields: `raw` is the value the agent holds at `<oid>.<plug>` (a number
 * for INTEGER objects), `state` is `on`/`off` when it equals `on_value`/`off_value`, else
 * `unknown` (e.g. a Raritan outlet that is cycling).
 */
export const outletStateSchema = z.object({
  state: z.enum(["on", "off", "unknown"]),
  raw: z.union([z.number(), z.string(), z.null()]),
});

export type OutletState = z.infer<typeof outletStateSchema>;

/** Upstream's results of `on()` and `off()`. */
export const POWER_ON_MESSAGE = "Power ON command sent successfully";
export const POWER_OFF_MESSAGE = "Power OFF command sent successfully";
