/** Upstream's `VideoState`: what every video source reports, whatever else it adds. */
import { z } from "zod";

/** The state fields common to every video source (extra fields pass through). */
export const videoStateSchema = z.looseObject({
  online: z.boolean().default(false),
  width: z.number().int().nullable().default(null),
  height: z.number().int().nullable().default(null),
  fps: z.number().nullable().default(null),
});

/** Whether the source produces frames, and its resolution and frame rate when known. */
export type VideoState = z.output<typeof videoStateSchema>;
