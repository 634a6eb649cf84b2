/**
 * Upstream's `UStreamerState`: ustreamer's own `/state` document (`ok`, `result.encoder`,
 * `result.source`) with the common video fields filled from it, as upstream's model dumps it.
 */
import { z } from "zod";

const resultSchema = z.object({
  encoder: z.object({ type: z.string(), quality: z.number().int() }),
  source: z.object({
    online: z.boolean(),
    desired_fps: z.number().int(),
    captured_fps: z.number().int(),
    resolution: z.object({ width: z.number().int(), height: z.number().int() }),
  }),
});

/** The state document, what `state()` returns on the wire. */
export const ustreamerStateSchema = z.object({
  online: z.boolean(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  fps: z.number().nullable(),
  ok: z.boolean(),
  result: resultSchema,
});

/** uStreamer's state: its own document plus the common video fields. */
export type UStreamerState = z.output<typeof ustreamerStateSchema>;

/**
 * The wire state from ustreamer's `/state` JSON (extra fields such as `stream` dropped, as
 * upstream's model does).
 *
 * @throws {z.ZodError} when the document lacks a field upstream's model requires.
 */
export function ustreamerState(document: unknown): UStreamerState {
  const { ok, result } = z.object({ ok: z.boolean(), result: resultSchema }).parse(document);
  const { source } = result;
  return {
    online: source.online,
    width: source.resolution.width,
    height: source.resolution.height,
    fps: source.captured_fps,
    ok,
    result: {
      encoder: { type: result.encoder.type, quality: result.encoder.quality },
      source: {
        online: source.online,
        desired_fps: source.desired_fps,
        captured_fps: source.captured_fps,
        resolution: { width: source.resolution.width, height: source.resolution.height },
      },
    },
  };
}
