import { z } from "zod";
import { parseGrpcTarget } from "./grpc_target.ts";

/** The only config API version there is. */
export const API_VERSION = "jumpstarter.dev/v1alpha1";
export type ApiVersion = typeof API_VERSION;

/** How to reach the controller over TLS. */
export interface TlsConfig {
  /** PEM bundle of trusted CAs; "" uses the system store. */
  readonly ca: string;
  readonly insecure: boolean;
}

/** gRPC channel options (`grpc.keepalive_time_ms: 20000`) passed through as given. */
export type GrpcOptions = Readonly<Record<string, string | number>>;

// Unknown TLS keys are ignored, as upstream does.
export const tlsSchema = z
  .object({
    ca: z.string().default(""),
    insecure: z.boolean().default(false),
  })
  .prefault({});

// Upstream accepts `grpcOptions: null` and treats it as no options.
export const grpcOptionsSchema = z
  .record(z.string(), z.union([z.string(), z.number()]))
  .nullish()
  .transform((options): Record<string, string | number> => options ?? {});

/**
 * The controller's `endpoint`, a gRPC target (grpc_target.ts); "" and null mean none. A list
 * gRPC could not read is refused here, naming the field, rather than failing later as a host
 * name that does not resolve.
 */
export const endpointSchema = z.string().nullable().default(null).superRefine((value, context) => {
  if (!value) return;
  try {
    parseGrpcTarget(value);
  } catch (error) {
    context.addIssue({ code: "custom", message: (error as Error).message, input: value });
  }
});
