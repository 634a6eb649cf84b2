/**
 * What Opendal methods answer, as upstream's pydantic models serialize them (snake_case keys):
 * `Metadata`, `PresignedRequest` and `Capability`.
 */
import { z } from "zod";
import type { NativeCapability, NativeMetadata, NativePresignedRequest } from "./binding.ts";

/** `open` modes: binary read or binary write. */
export const modeSchema = z.enum(["rb", "wb"]);
export type Mode = z.infer<typeof modeSchema>;

export const hashAlgoSchema = z.enum(["md5", "sha256"]);
export type HashAlgo = z.infer<typeof hashAlgoSchema>;

export const metadataSchema = z.object({
  "content_disposition": z.string().nullable(),
  "content_length": z.number().int().nonnegative(),
  "content_md5": z.string().nullable(),
  "content_type": z.string().nullable(),
  etag: z.string().nullable(),
  mode: z.object({ "is_file": z.boolean(), "is_dir": z.boolean() }),
});
export type Metadata = z.infer<typeof metadataSchema>;

export const presignedRequestSchema = z.object({
  url: z.string(),
  method: z.string(),
  headers: z.record(z.string(), z.string()),
});
export type PresignedRequest = z.infer<typeof presignedRequestSchema>;

/** Upstream's `Capability` fields, in its order (sizes are ints or null, the rest booleans). */
const CAPABILITIES = [
  "stat",
  "stat_with_if_match",
  "stat_with_if_none_match",
  "read",
  "read_with_if_match",
  "read_with_if_none_match",
  "read_with_override_cache_control",
  "read_with_override_content_disposition",
  "read_with_override_content_type",
  "write",
  "write_can_multi",
  "write_can_empty",
  "write_can_append",
  "write_with_content_type",
  "write_with_content_disposition",
  "write_with_cache_control",
  "write_multi_max_size",
  "write_multi_min_size",
  "write_total_max_size",
  "create_dir",
  "delete",
  "copy",
  "rename",
  "list",
  "list_with_limit",
  "list_with_start_after",
  "list_with_recursive",
  "presign",
  "presign_read",
  "presign_stat",
  "presign_write",
  "shared",
  "blocking",
] as const;

type SizeCapability = "write_multi_max_size" | "write_multi_min_size" | "write_total_max_size";

function isSize(key: string): key is SizeCapability {
  return key.startsWith("write_multi_") || key === "write_total_max_size";
}

export const capabilitySchema = z.object(
  Object.fromEntries(
    CAPABILITIES.map((key) => [key, isSize(key) ? z.number().int().nullable() : z.boolean()]),
  ),
) as unknown as z.ZodType<Capability>;

/** What the storage service supports (upstream's `Capability`, the same 33 keys). */
export type Capability =
  & Record<Exclude<typeof CAPABILITIES[number], SizeCapability>, boolean>
  & Record<SizeCapability, number | null>;

function camelCase(key: string): string {
  return key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The binding's capability object as upstream's snake_case model. */
export function capabilityOf(native: NativeCapability): Capability {
  const entries = CAPABILITIES.map((key) => {
    const value = native[camelCase(key)];
    if (isSize(key)) return [key, typeof value === "bigint" ? Number(value) : null];
    return [key, value === true];
  });
  return Object.fromEntries(entries) as Capability;
}

/** The binding's metadata as upstream's model (a missing length is 0, as upstream reads it). */
export function metadataOf(native: NativeMetadata): Metadata {
  return {
    "content_disposition": native.contentDisposition,
    "content_length": Number(native.contentLength ?? 0n),
    "content_md5": native.contentMd5,
    "content_type": native.contentType,
    etag: native.etag,
    mode: { "is_file": native.isFile(), "is_dir": native.isDirectory() },
  };
}

export function presignedRequestOf(native: NativePresignedRequest): PresignedRequest {
  return { url: native.url, method: native.method, headers: { ...native.headers } };
}
