/** Where a problem was found: a file, a 1-based position in it and a dotted field path. */
export interface ConfigErrorLocation {
  readonly file: string;
  /** 1-based; 0 when the problem has no position (missing file, environment variable). */
  readonly line: number;
  /** 1-based; 0 when the problem has no position. */
  readonly column: number;
  /** Dotted path of the offending field, e.g. `export.power.config`; "" for the whole file. */
  readonly field: string;
}

/**
 * A configuration file that cannot be read, parsed or validated.
 *
 * The message reads `<file>:<line>:<column>: <reason> at <field>`, the form editors and
 * terminals turn into a link; parts that are unknown are left out.
 */
export class ConfigError extends SyntaxError implements ConfigErrorLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  /** The problem alone, without location, e.g. `Unknown key "foo"`. */
  readonly reason: string;

  constructor(reason: string, location: ConfigErrorLocation, options?: ErrorOptions) {
    super(formatConfigErrorMessage(reason, location), options);
    this.name = "ConfigError";
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.field = location.field;
    this.reason = reason;
  }
}

export function formatConfigErrorMessage(reason: string, location: ConfigErrorLocation): string {
  const position = location.line > 0
    ? `${location.file}:${location.line}:${location.column}`
    : location.file;
  const field = location.field === "" ? "" : ` at ${location.field}`;
  return `${position}: ${reason}${field}`;
}

const PLAIN_SEGMENT = /^[A-Za-z_$][\w$-]*$/;

/**
 * Joins a field path with dots, quoting segments that would be ambiguous
 * (`grpcOptions["grpc.keepalive_time_ms"]`) and writing indexes as `[0]`.
 */
export function formatField(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      out += `[${segment}]`;
    } else {
      const text = String(segment);
      if (PLAIN_SEGMENT.test(text)) {
        out += out === "" ? text : `.${text}`;
      } else {
        out += `[${JSON.stringify(text)}]`;
      }
    }
  }
  return out;
}

/** Renders a value for an error message: strings quoted, long values shortened. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(shorten(value));
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (Array.isArray(value)) return "a list";
  if (value instanceof Uint8Array) return "binary data";
  if (typeof value === "object") return "a map";
  return typeof value;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
