import { z } from "zod";
import {
  API_VERSION,
  endpointSchema,
  type GrpcOptions,
  grpcOptionsSchema,
  type TlsConfig,
  tlsSchema,
} from "./common.ts";
import { readConfigText } from "./config_file.ts";
import { ConfigError, describeValue, formatConfigErrorMessage, formatField } from "./errors.ts";
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
  /** The driver's own keys: `log_level` is taken out into {@linkcode logLevel}. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Upstream's per-driver `log_level`: records below it are dropped. */
  readonly logLevel?: LogLevel;
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

/** Python's logging level names, as upstream's `log_level` takes them. */
export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

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
   * Keys upstream accepts that mean nothing here, each as one located message
   * (`lab.yaml:6:5: Ignoring ...`), for the operator's log.
   */
  readonly warnings: readonly string[];
  /**
   * Where the value (or key) at a field path is written, for errors found after loading, such as
   * a driver rejecting its `config`. A path past the document points at the nearest parent.
   */
  readonly locate: (path: readonly PropertyKey[], at?: "value" | "key") => SourceLocation;
}

interface RawInstance {
  type?: string | undefined;
  config?: Record<string, unknown> | null | undefined;
  children?: Record<string, RawInstance> | undefined;
  description?: string | undefined;
  "methods_description"?: Record<string, string> | undefined;
  ref?: string | undefined;
}

const DOTTED_PATH = /^[^.]+(\.[^.]+)*$/;

// Loose like upstream's pydantic models, which drop unknown keys: they are warned about instead.
const instanceSchema: z.ZodType<RawInstance> = z.lazy(() =>
  z.looseObject({
    type: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).nullish(),
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
// apiVersion and kind default as upstream's, so its e2e overlays (`export:` and hooks only) load.
const exporterSchema = z.object({
  apiVersion: z.literal(API_VERSION).default(API_VERSION),
  kind: z.literal("ExporterConfig").default("ExporterConfig"),
  metadata: z
    .strictObject({ namespace: z.string().optional(), name: z.string().optional() })
    .nullish(),
  endpoint: endpointSchema,
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
const INSTANCE_KEYS = new Set<string>([...NOT_WITH_REF, "ref"]);

const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = {
  DEBUG: "DEBUG",
  NOTSET: "DEBUG",
  INFO: "INFO",
  WARN: "WARNING",
  WARNING: "WARNING",
  ERROR: "ERROR",
  CRITICAL: "CRITICAL",
  FATAL: "CRITICAL",
};

/** Python's numeric level (10, 20, ...) or level name, in any letter case. */
function logLevelOf(value: unknown): LogLevel | undefined {
  if (typeof value === "number" && Number.isInteger(value)) {
    if (value <= 10) return "DEBUG";
    if (value <= 20) return "INFO";
    if (value <= 30) return "WARNING";
    return value <= 40 ? "ERROR" : "CRITICAL";
  }
  return typeof value === "string" ? LEVEL_NAMES[value.trim().toUpperCase()] : undefined;
}

/** What building instances needs besides the raw values. */
interface BuildContext {
  readonly source: YamlSource;
  readonly warnings: string[];
}

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
  context: BuildContext,
  raw: Record<string, RawInstance> | undefined | null,
  path: readonly string[],
): Map<string, DriverInstance> {
  const children = new Map<string, DriverInstance>();
  if (raw == null) return children;
  for (const name of orderedKeys(context.source, path, raw)) {
    const child = raw[name];
    if (child !== undefined) children.set(name, buildInstance(context, child, [...path, name]));
  }
  return children;
}

function warnUnknownKeys(context: BuildContext, raw: RawInstance, path: readonly string[]) {
  for (const key of Object.keys(raw)) {
    if (INSTANCE_KEYS.has(key)) continue;
    const at = [...path, key];
    context.warnings.push(formatConfigErrorMessage(
      `Ignoring unknown key ${describeValue(key)} (upstream ignores it too)`,
      { ...context.source.locate(at, "key"), field: formatField(at) },
    ));
  }
}

/** Splits upstream's generic `log_level` off a driver's own config keys. */
function splitLogLevel(
  context: BuildContext,
  config: Record<string, unknown>,
  path: readonly string[],
): { config: Record<string, unknown>; logLevel?: LogLevel } {
  if (!Object.hasOwn(config, "log_level")) return { config };
  const { log_level: value, ...rest } = config;
  const logLevel = logLevelOf(value);
  if (logLevel === undefined) {
    const at = [...path, "config", "log_level"];
    throw new ConfigError(
      `Expected a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL), got ${describeValue(value)}`,
      { ...context.source.locate(at), field: formatField(at) },
    );
  }
  return { config: rest, logLevel };
}

function buildInstance(context: BuildContext, raw: RawInstance, path: string[]): DriverInstance {
  const { source } = context;
  const field = formatField(path);
  warnUnknownKeys(context, raw, path);
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
      ...splitLogLevel(context, raw.config ?? {}, path),
      children: buildChildren(context, raw.children, [...path, "children"]),
      ...(raw.description === undefined ? {} : { description: raw.description }),
      "methods_description": raw.methods_description ?? {},
      path,
      source: source.locate([...path, "type"]),
    };
  }
  const stray = DRIVER_ONLY_KEYS.filter((key) => raw[key] != null);
  const [first] = stray;
  if (first !== undefined) {
    throw new ConfigError(
      `Expected "type" alongside ${quoteList(stray)}, which only a driver has`,
      { ...source.locate([...path, first], "key"), field },
    );
  }
  return {
    kind: "composite",
    children: buildChildren(context, raw.children, [...path, "children"]),
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
  const context: BuildContext = { source, warnings: [] };
  const exported = buildChildren(context, raw.export, ["export"]);
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
    export: exported,
    description: raw.description,
    motd: raw.motd,
    hooks: {
      beforeLease: buildHook(source, raw.hooks?.beforeLease ?? null, "beforeLease"),
      afterLease: buildHook(source, raw.hooks?.afterLease ?? null, "afterLease"),
    },
    failureDetection: raw.failureDetection,
    exitOnLeaseEnd: raw.exitOnLeaseEnd,
    warnings: context.warnings,
    locate: (path, at) => source.locate(path, at),
  };
}

/** Reads and parses an exporter config file. */
export async function loadExporterConfig(path: string): Promise<ExporterConfig> {
  return parseExporterConfig(await readConfigText(path), path);
}
