/**
 * The `request` metadata of an inner RouterService.Stream on a session (spec/protocol.md 6.2).
 */
import { z } from "zod";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";

const streamRequestSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("driver"), uuid: z.string(), method: z.string() }),
  z.object({
    kind: z.literal("resource"),
    uuid: z.string(),
    "x_jmp_content_encoding": z.string().nullable().optional(),
  }),
]);

/** What an inner stream asks for: a driver's byte-stream method, or a resource pipe. */
export type StreamRequest = z.infer<typeof streamRequestSchema>;

/** Metadata key carrying the request. */
export const REQUEST_KEY = "request";

/**
 * Parses the JSON text of the `request` metadata.
 *
 * @throws {InvalidArgumentError} when it is missing, not JSON, or of an unknown shape.
 */
export function parseStreamRequest(text: unknown): StreamRequest {
  if (typeof text !== "string") {
    throw new InvalidArgumentError('Cannot open stream: the "request" metadata is missing');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`Cannot open stream: "request" is not JSON: ${text}`);
  }
  const parsed = streamRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidArgumentError(
      `Cannot open stream: invalid "request" at ${
        issue.path.join(".") || "root"
      }: ${issue.message}`,
    );
  }
  return parsed.data;
}

/** The compact JSON upstream sends for a driver stream. */
export function driverStreamRequest(uuid: string, method: string): string {
  return JSON.stringify({ kind: "driver", uuid, method });
}
