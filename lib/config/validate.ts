import type { z } from "zod";
import { ConfigError, describeValue, formatField } from "./errors.ts";
import type { YamlSource } from "./yaml_source.ts";

type Issue = z.core.$ZodIssue;

/** An issue restated in our words, with the exact spot it concerns. */
interface Problem {
  readonly reason: string;
  readonly path: readonly PropertyKey[];
  readonly at: "value" | "key";
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  object: "a map",
  record: "a map",
  map: "a map",
  array: "a list",
  tuple: "a list",
  null: "null",
};

function expectedName(expected: string): string {
  return EXPECTED_NAMES[expected] ?? expected;
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function lastKey(path: readonly PropertyKey[]): string {
  const last = path.at(-1);
  return last === undefined ? "" : String(last);
}

function problemsOf(issue: Issue): Problem[] {
  const path = issue.path;
  const got = `got ${describeValue(issue.input)}`;
  const missing = issue.input === undefined && path.length > 0 &&
    (issue.code === "invalid_type" || issue.code === "invalid_value");
  if (missing) {
    return [{ reason: `Missing required key ${describeValue(lastKey(path))}`, path, at: "value" }];
  }
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        reason: `Unknown key ${describeValue(key)}`,
        path: [...path, key],
        at: "key",
      }));
    case "invalid_type":
      if (issue.input === undefined && path.length > 0) {
        return [{
          reason: `Missing required key ${describeValue(lastKey(path))}`,
          path,
          at: "value",
        }];
      }
      return [{ reason: `Expected ${expectedName(issue.expected)}, ${got}`, path, at: "value" }];
    case "invalid_value": {
      const [only, ...rest] = issue.values;
      const expected = rest.length === 0
        ? describeValue(only)
        : `one of ${issue.values.map(describeValue).join(", ")}`;
      return [{ reason: `Expected ${expected}, ${got}`, path, at: "value" }];
    }
    case "too_small": {
      if (issue.origin === "string") {
        const reason = issue.minimum === 1
          ? `Expected a non-empty string, ${got}`
          : `Expected at least ${issue.minimum} characters, ${got}`;
        return [{ reason, path, at: "value" }];
      }
      const what = issue.origin === "int" ? "an integer" : "a number";
      const op = issue.inclusive === false ? ">" : ">=";
      return [{ reason: `Expected ${what} ${op} ${issue.minimum}, ${got}`, path, at: "value" }];
    }
    case "too_big": {
      const what = issue.origin === "int" ? "an integer" : "a number";
      const op = issue.inclusive === false ? "<" : "<=";
      return [{ reason: `Expected ${what} ${op} ${issue.maximum}, ${got}`, path, at: "value" }];
    }
    case "invalid_union": {
      const expected: string[] = [];
      for (const branch of issue.errors) {
        const [first, ...others] = branch;
        if (first?.code !== "invalid_type" || others.length > 0 || first.path.length > 0) {
          return [{ reason: `Invalid value, ${got}`, path, at: "value" }];
        }
        expected.push(expectedName(first.expected));
      }
      return [{ reason: `Expected ${expected.join(" or ")}, ${got}`, path, at: "value" }];
    }
    default:
      return [{
        reason: sentence(issue.message.replace(/^Invalid input: /, "")),
        path,
        at: "value",
      }];
  }
}

// A wrong apiVersion or kind explains every other problem, so it is reported first.
const IDENTITY_FIELDS = new Set(["apiVersion", "kind"]);

function rank(error: ConfigError): number {
  return IDENTITY_FIELDS.has(error.field) ? 0 : 1;
}

function compareErrors(a: ConfigError, b: ConfigError): number {
  return rank(a) - rank(b) || a.line - b.line || a.column - b.column;
}

/**
 * Validates `value` (from `source`) against `schema`. On failure throws the
 * {@link ConfigError} that comes first in the file (a wrong apiVersion or kind before
 * anything else), with all of them in `cause` when there are several.
 */
export function validateSource<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: YamlSource,
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap(problemsOf).map((problem) =>
    source.errorAt(problem.path, problem.reason, problem.at)
  );
  errors.sort(compareErrors);
  const [first] = errors;
  if (first === undefined) throw source.errorAt([], "Invalid configuration");
  if (errors.length === 1) throw first;
  throw new ConfigError(first.reason, first, { cause: new AggregateError(errors) });
}

/**
 * Validates a value that has no file position (built from the environment or in code);
 * errors name `origin` in place of a file.
 */
export function validateDetached<S extends z.ZodType>(
  schema: S,
  value: unknown,
  origin: string,
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const [problem] = result.error.issues.flatMap(problemsOf);
  throw new ConfigError(problem?.reason ?? "Invalid configuration", {
    file: origin,
    line: 0,
    column: 0,
    field: formatField(problem?.path ?? []),
  });
}
