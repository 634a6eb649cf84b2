import { stringify } from "yaml";
import { z } from "zod";
import {
  API_VERSION,
  endpointSchema,
  type GrpcOptions,
  grpcOptionsSchema,
  type TlsConfig,
  tlsSchema,
} from "./common.ts";
import { readConfigText, writeFileAtomic } from "./config_file.ts";
import { aliasFromPath } from "./paths.ts";
import { validateDetached, validateSource } from "./validate.ts";
import { YamlSource } from "./yaml_source.ts";

/** Which client-side driver classes may be loaded. */
export interface ClientDriversConfig {
  readonly allow: readonly string[];
  /** Load any driver class the exporter names. */
  readonly unsafe: boolean;
}

export interface ClientShellConfig {
  readonly "use_profiles": boolean;
}

export interface ClientLeasesConfig {
  /** Seconds to wait for a lease to be acquired. */
  readonly "acquisition_timeout": number;
  /** Seconds to wait when dialing an exporter. */
  readonly "dial_timeout": number;
  /** Seconds to keep retrying lease operations. */
  readonly "retry_timeout": number;
}

/** Property names follow the file, so they are snake_case where the file is. */
export interface ClientConfig {
  /** Base name of the file up to its first dot; "default" when not read from a file. */
  readonly alias: string;
  /** The file the config was read from, if any. Not written by {@link saveClientConfig}. */
  readonly path: string | null;
  readonly apiVersion: typeof API_VERSION;
  readonly kind: "ClientConfig";
  readonly metadata: { readonly namespace: string | null; readonly name: string };
  readonly endpoint: string | null;
  readonly tls: TlsConfig;
  readonly token: string | null;
  readonly "refresh_token": string | null;
  readonly grpcOptions: GrpcOptions;
  readonly drivers: ClientDriversConfig;
  readonly shell: ClientShellConfig;
  readonly leases: ClientLeasesConfig;
}

/** The file-format part of a {@link ClientConfig}: what is written and read back. */
export type ClientConfigDocument = Omit<ClientConfig, "alias" | "path">;

// `allow` may also be written as one comma-separated string, as in JMP_DRIVERS_ALLOW.
const allowSchema = z.preprocess(
  (value) =>
    typeof value === "string"
      ? value.split(",").map((item) => item.trim()).filter((item) => item !== "")
      : value,
  z.array(z.string()),
);

const clientSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("ClientConfig"),
  metadata: z.strictObject({ namespace: z.string().nullable(), name: z.string() }),
  endpoint: endpointSchema,
  tls: tlsSchema,
  token: z.string().nullable().default(null),
  "refresh_token": z.string().nullable().default(null),
  grpcOptions: grpcOptionsSchema,
  drivers: z
    .strictObject({ allow: allowSchema.default([]), unsafe: z.boolean().default(false) })
    .prefault({}),
  // Unknown shell keys are ignored, as upstream does.
  shell: z.object({ "use_profiles": z.boolean().default(false) }).prefault({}),
  leases: z
    .strictObject({
      "acquisition_timeout": z.int().min(5).default(7200),
      "dial_timeout": z.number().min(5).default(60),
      "retry_timeout": z.number().min(0).default(300),
    })
    .prefault({}),
});

/** Parses and validates client config text; `file` names it in errors and sets the alias. */
export function parseClientConfig(text: string, file: string): ClientConfig {
  const source = YamlSource.parse(text, file);
  const document = validateSource(clientSchema, source.toJS(), source);
  return { alias: aliasFromPath(file), path: file, ...document };
}

/** Reads and parses a client config file. */
export async function loadClientConfig(path: string): Promise<ClientConfig> {
  return parseClientConfig(await readConfigText(path), path);
}

/**
 * Validates `value` as a client config that has no file behind it; errors name
 * `origin` in place of a file.
 */
export function clientConfigFromValue(
  value: unknown,
  origin: string,
  alias = "default",
): ClientConfig {
  return { alias, path: null, ...validateDetached(clientSchema, value, origin) };
}

const DEFAULT_LEASES: ClientLeasesConfig = {
  "acquisition_timeout": 7200,
  "dial_timeout": 60,
  "retry_timeout": 300,
};

/**
 * The document to write, keys in the documented order and nothing outside the schema. As
 * upstream writes it: unset (null) fields are left out, and so is a `leases` block that only
 * holds the defaults, so that v0.7.0 (which refuses both keys) reads the file.
 */
export function clientConfigDocument(config: ClientConfigDocument): Record<string, unknown> {
  const leases = config.leases;
  const defaultLeases = Object.entries(DEFAULT_LEASES)
    .every(([key, value]) => leases[key as keyof ClientLeasesConfig] === value);
  const { apiVersion, kind, ...rest } = withoutNulls({
    apiVersion: config.apiVersion,
    kind: config.kind,
    endpoint: config.endpoint,
    tls: { ca: config.tls.ca, insecure: config.tls.insecure },
    token: config.token,
    "refresh_token": config.refresh_token,
    grpcOptions: { ...config.grpcOptions },
    drivers: { allow: [...config.drivers.allow], unsafe: config.drivers.unsafe },
    shell: { "use_profiles": config.shell.use_profiles },
    ...(defaultLeases ? {} : {
      leases: {
        "acquisition_timeout": leases.acquisition_timeout,
        "dial_timeout": leases.dial_timeout,
        "retry_timeout": leases.retry_timeout,
      },
    }),
  });
  // upstream's loaders require metadata.namespace, even when null
  return {
    apiVersion,
    kind,
    metadata: { namespace: config.metadata.namespace, name: config.metadata.name },
    ...rest,
  };
}

/** `document` without its null members, at every depth (upstream dumps with exclude_none). */
function withoutNulls(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(document)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => [
        key,
        typeof value === "object" && !Array.isArray(value)
          ? withoutNulls(value as Record<string, unknown>)
          : value,
      ]),
  );
}

/** The YAML text {@link saveClientConfig} writes. */
export function stringifyClientConfig(
  config: ClientConfigDocument,
  origin = "client config",
): string {
  const document = clientConfigDocument(config);
  validateDetached(clientSchema, document, origin);
  // lineWidth 0: never fold long values such as tokens across lines.
  return stringify(document, { lineWidth: 0 });
}

/** Validates and writes `config` to `path` atomically, readable only by the owner. */
export async function saveClientConfig(config: ClientConfigDocument, path: string): Promise<void> {
  await writeFileAtomic(path, stringifyClientConfig(config, path));
}
