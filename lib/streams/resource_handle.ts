/**
 * Resource handles: what a client passes as a driver-call argument to hand over a byte stream
 * (spec/protocol.md 6.4). `client_stream` names an inner stream the client opened on the same
 * driver; `presigned_request` names a URL the exporter fetches or uploads to itself.
 */
import { z } from "zod";

export const clientStreamHandleSchema = z.object({
  kind: z.literal("client_stream"),
  uuid: z.string(),
  "x_jmp_content_encoding": z.string().nullable().default(null),
});

export const presignedRequestHandleSchema = z.object({
  kind: z.literal("presigned_request"),
  url: z.string().url(),
  method: z.enum(["GET", "PUT"]),
  headers: z.record(z.string(), z.string()).default({}),
});

export const resourceHandleSchema = z.discriminatedUnion("kind", [
  clientStreamHandleSchema,
  presignedRequestHandleSchema,
]);

export type ClientStreamHandle = z.infer<typeof clientStreamHandleSchema>;
export type PresignedRequestHandle = z.infer<typeof presignedRequestHandleSchema>;
export type ResourceHandle = z.infer<typeof resourceHandleSchema>;

/** Metadata keys of resource streams. */
export const RESOURCE_KEY = "resource";
export const ACCEPT_ENCODING_KEY = "x_jmp_accept_encoding";

/** The compact JSON of a resource stream request. */
export function resourceStreamRequest(driverUuid: string, encoding: string | null): string {
  return JSON.stringify({ kind: "resource", uuid: driverUuid, "x_jmp_content_encoding": encoding });
}

/**
 * Parses a handle received as a driver-call argument.
 *
 * @throws {TypeError} naming what is wrong with it.
 */
export function parseResourceHandle(value: unknown): ResourceHandle {
  const parsed = resourceHandleSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
  throw new TypeError(`Invalid resource handle${where}: ${issue.message}`);
}
