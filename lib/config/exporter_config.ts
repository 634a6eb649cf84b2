import { z } from "zod";
import {
  API_VERSION,
  type GrpcOptions,
  grpcOptionsSchema,
  type TlsConfig,
  tlsSchema,
} from "./common.ts";
import { readConfigText } from "./config_file.ts";
import { ConfigError, describeValue, formatField } from "./errors.ts";
import { aliasFromPath } from "./paths.ts";
import { validateSource } from "./validate.ts";
import { type SourceLocation, YamlSource } from "./yaml_source.ts";

interface InstanceBase {
  /** Field path from the document root, e.g. `["export", "board", "children", "power"]`. */
  readonly path: readonly string[];
  /** Where the instance is written: its `type:` value for drivers, else its map. */
  readonly source: SourceLocation;
}

/** A driver to instantiate. `type` is kept as written, class path or short name. */
export interface DriverInstanceDriver extends InstanceBase {
  readonly kind: "driver";
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly children: ReadonlyMap<string, DriverInstance>;
  readonly description?: string;
  readonly "methods_description": Readonly<Record<string, string>>;
}

/** A grouping of child instances with no driver of its own. */
export interface DriverInstanceComposite extends InstanceBase {
  readonly kind: "composite";
  readonly children: ReadonlyMap<string, DriverInstance>;
}

/** Another instance of the same exporter, named by a dotted path such as `board.power`. */
export interface DriverInstanceProxy extends InstanceBase {
  readonly kind: "proxy";
  readonly ref: string;
}

export type DriverInstance = DriverInstanceDriver | DriverInstanceComposite | DriverInstanceProxy;

export type HookFailureMode = "warn" | "endLease" | "exit";

export interface HookInstance {
  readonly script: string;
  /** Interpreter to run the script with; the exporter's default when absent. */
  readonly exec?: string;
  /** Seconds. */
  readonly timeout: number;
  readonly onFailure: HookFailureMode;
  readonly source: SourceLocation;
}

export interface ExporterHooks {
  readonly beforeLease: HookInstance | null;
  readonly afterLease: HookInstance | null;
}

export interface FailureDetection {
  readonly maxRapidFailures: number;
  /** Seconds. */
  readonly rapidFailureWindow: number;
}

export interface ExporterConfig {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: "ExporterConfig";
  /** Base name of the file up to its first dot. */
  readonly alias: string;
  /** The file the config was read from. */
  readonly path: string;
  readonly metadata: { readonly namespace: string; readonly name: string };
  readonly endpoint: string | null;
  readonly token: string | null;
  readonly tls: TlsConfig;
  readonly grpcOptions: GrpcOptions;
  /** Top-level instances in file order. */
  readonly export: ReadonlyMap<string, DriverInstance>;
  readonly description: string | null;
  readonly motd: string | null;
  readonly hooks: ExporterHooks;
  readonly failureDetection: FailureDetection;
  readonly exitOnLeaseEnd: boolean;
  /**
   * Where the value (or key) at a field path is written, for errors found after loading, such as
   * a driver rejecting its `config`. A path past the document points at the nearest parent.
   */
  readonly locate: (path: readonly PropertyKey[], at?: "value" | "key") => SourceLocation;
}

interface RawInstance {
  type?: string | undefined;
  config?: Record<string, unknown> | undefined;
  children?: Record<string, RawInstance> | undefined;
  description?: string | undefined;
  "methods_description"?: Record<string, string> | undefined;
  ref?: string | undefined;
}

const DOTTED_PATH = /^[^.]+(\.[^.]+)*$/;

const instanceSchema: z.ZodType<RawInstance> = z.lazy(() =>
  z.strictObject({
    type: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    children: z.record(z.string(), instanceSchema).optional(),
    description: z.string().optional(),
    "methods_description": z.record(z.string(), z.string()).optional(),
    ref: z
      .string()
      .refine((ref) => DOTTED_PATH.test(ref), 'Expected a dotted path like "board.power"')
      .optional(),
  })
);

const hookSchema = z.strictObject({
  script: z.string(),
  exec: z.string().optional(),
  timeout: z.int().default(120),
  onFailure: z.enum(["warn", "endLease", "exit"]).default("warn"),
});

// Unknown top-level keys are ignored so newer upstream files still load.
const exporterSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("ExporterConfig"),
  metadata: z
    .strictObject({ namespace: z.string().optional(), name: z.string().optional() })
    .nullish(),
  endpoint: z.string().nullable().default(null),
  token: z.string().nullable().default(null),
  tls: tlsSchema,
  grpcOptions: grpcOptionsSchema,
  export: z.record(z.string(), instanceSchema).nullish(),
  description: z.string().nullable().default(null),
  motd: z.string().nullable().default(null),
  hooks: z
    .strictObject({
      beforeLease: hookSchema.nullable().default(null),
      afterLease: hookSchema.nullable().default(null),
    })
    .nullish(),
  failureDetection: z
    .object({
      maxRapidFailures: z.int().default(5),
      rapidFailureWindow: z.int().default(60),
    })
    .prefault({}),
  exitOnLeaseEnd: z.boolean().default(false),
});

type RawHook = z.output<typeof hookSchema>;

const DRIVER_ONLY_KEYS = ["config", "description", "methods_description"] as const;
const NOT_WITH_REF = ["type", "children", ...DRIVER_ONLY_KEYS] as const;

function quoteList(keys: readonly string[]): string {
  return keys.map((key) => describeValue(key)).join(", ");
}

/** Keys of `raw` in the order the file lists them. */
function orderedKeys(source: YamlSource, path: readonly string[], raw: object): string[] {
  const present = new Set(Object.keys(raw));
  const keys = source.entries(path).map((entry) => entry.key).filter((key) => present.has(key));
  const seen = new Set(keys);
  for (const key of present) if (!seen.has(key)) keys.push(key);
  return keys;
}

function buildChildren(
  source: YamlSource,
  raw: Record<string, RawInstance> | undefined | null,
  path: readonly string[],
): Map<string, DriverInstance> {
  const children = new Map<string, DriverInstance>();
  if (raw == null) return children;
  for (const name of orderedKeys(source, path, raw)) {
    const child = raw[name];
    if (child !== undefined) children.set(name, buildInstance(source, child, [...path, name]));
  }
  return children;
}

function buildInstance(source: YamlSource, raw: RawInstance, path: string[]): DriverInstance {
  const field = formatField(path);
  if (raw.ref !== undefined) {
    const conflicts = NOT_WITH_REF.filter((key) => raw[key] !== undefined);
    if (conflicts.length > 0) {
      throw new ConfigError(
        `Cannot combine "ref" with ${quoteList(conflicts)}: a proxy only names another instance`,
        { ...source.locate([...path, "ref"], "key"), field },
      );
    }
    return { kind: "proxy", ref: raw.ref, path, source: source.locate(path) };
  }
  if (raw.type !== undefined) {
    return {
      kind: "driver",
      type: raw.type,
      config: raw.config ?? {},
      children: buildChildren(source, raw.children, [...path, "children"]),
      ...(raw.description === undefined ? {} : { description: raw.description }),
      "methods_description": raw.methods_description ?? {},
      path,
      source: source.locate([...path, "type"]),
    };
  }
  const stray = DRIVER_ONLY_KEYS.filter((key) => raw[key] !== undefined);
  const [first] = stray;
  if (first !== undefined) {
    throw new ConfigError(
      `Expected "type" alongside ${quoteList(stray)}, which only a driver has`,
      { ...source.locate([...path, first], "key"), field },
    );
  }
  return {
    kind: "composite",
    children: buildChildren(source, raw.children, [...path, "children"]),
    path,
    source: source.locate(path),
  };
}

function buildHook(source: YamlSource, raw: RawHook | null, name: string): HookInstance | null {
  if (raw === null) return null;
  return {
    script: raw.script,
    ...(raw.exec === undefined ? {} : { exec: raw.exec }),
    timeout: raw.timeout,
    onFailure: raw.onFailure,
    source: source.locate(["hooks", name]),
  };
}

/** Parses and validates exporter config text; `file` names it in errors and sets the alias. */
export function parseExporterConfig(text: string, file: string): ExporterConfig {
  const source = YamlSource.parse(text, file);
  const raw = validateSource(exporterSchema, source.toJS(), source);
  const alias = aliasFromPath(file);
  return {
    apiVersion: raw.apiVersion,
    kind: raw.kind,
    alias,
    path: file,
    metadata: {
      namespace: raw.metadata?.namespace ?? "default",
      name: raw.metadata?.name ?? alias,
    },
    endpoint: raw.endpoint,
    token: raw.token,
    tls: raw.tls,
    grpcOptions: raw.grpcOptions,
    export: buildChildren(source, raw.export, ["export"]),
    description: raw.description,
    motd: raw.motd,
    hooks: {
      beforeLease: buildHook(source, raw.hooks?.beforeLease ?? null, "beforeLease"),
      afterLease: buildHook(source, raw.hooks?.afterLease ?? null, "afterLease"),
    },
    failureDetection: raw.failureDetection,
    exitOnLeaseEnd: raw.exitOnLeaseEnd,
    locate: (path, at) => source.locate(path, at),
  };
}

/** Reads and parses an exporter config file. */
export async function loadExporterConfig(path: string): Promise<ExporterConfig> {
  return parseExporterConfig(await readConfigText(path), path);
}
