/**
 * Reads ExporterAccessPolicy documents (upstream's CRD, `jumpstarter.dev/v1alpha1`) from YAML:
 * one or more documents separated by `---`. A problem is one ConfigError naming the file, line,
 * column and field.
 */
import { z } from "zod";
import { ConfigError, validateSource, YamlSource } from "@jumpstarter/lib/config";
import type { AccessPolicy, PolicyRule } from "./policy.ts";
import type { Selector } from "./selector.ts";
import { fromLabelSelector, LabelSelectorError } from "./selector_convert.ts";

export const POLICY_API_VERSION = "jumpstarter.dev/v1alpha1";
export const POLICY_KIND = "ExporterAccessPolicy";
/** Namespace of a policy without `metadata.namespace` (as `kubectl apply` assumes). */
export const DEFAULT_NAMESPACE = "default";

const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.strictObject({
    key: z.string(),
    operator: z.string(),
    values: z.array(z.string()).optional(),
  })).optional(),
});

const policySchema = z.strictObject({
  apiVersion: z.literal(POLICY_API_VERSION),
  kind: z.literal(POLICY_KIND),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
  }),
  spec: z.strictObject({
    exporterSelector: labelSelectorSchema.optional(),
    policies: z.array(z.strictObject({
      description: z.string().optional(),
      priority: z.int().optional(),
      from: z.array(z.strictObject({ clientSelector: labelSelectorSchema.optional() })).optional(),
      maximumDuration: z.string().optional(),
      spotAccess: z.boolean().optional(),
    })).optional(),
  }),
  status: z.unknown().optional(),
});

type LabelSelectorDoc = z.output<typeof labelSelectorSchema>;

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration (`time.ParseDuration`, what `metav1.Duration` reads): `1h30m`, `90s`, `1.5h`,
 * `-2m`, `0`. Milliseconds, or undefined when the text is not one.
 */
export function parseGoDuration(text: string): number | undefined {
  const match = /^([-+]?)(.*)$/.exec(text)!;
  const body = match[2]!;
  if (body === "0") return 0;
  if (body === "") return undefined;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    part.lastIndex = at;
    const piece = part.exec(body);
    if (piece === null) return undefined;
    total += Number(piece[1]) * UNITS[piece[2]!]!;
    at = part.lastIndex;
  }
  return match[1] === "-" ? -total : total;
}

/** Splits a YAML stream into documents, each padded with blank lines to keep its positions. */
function documents(text: string): string[] {
  const lines = text.split("\n");
  const out: string[] = [];
  let start = 0;
  const flush = (end: number) => {
    const chunk = lines.slice(start, end);
    if (chunk.some((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))) {
      out.push("\n".repeat(start) + chunk.join("\n"));
    }
  };
  for (const [i, line] of lines.entries()) {
    const marker = /^(---|\.\.\.)(?=\s|$)/.exec(line);
    if (marker === null) continue;
    flush(i);
    // content after `---` on the same line stays in place (the marker becomes spaces)
    lines[i] = marker[1] === "---" ? " ".repeat(3) + line.slice(3) : "";
    start = i;
  }
  flush(lines.length);
  return out;
}

function selectorAt(
  source: YamlSource,
  path: PropertyKey[],
  doc: LabelSelectorDoc | undefined,
): Selector {
  try {
    return fromLabelSelector({
      matchLabels: doc?.matchLabels ?? {},
      matchExpressions: (doc?.matchExpressions ?? []).map((e) => ({
        key: e.key,
        operator: e.operator,
        values: e.values ?? [],
      })),
    });
  } catch (error) {
    if (!(error instanceof LabelSelectorError)) throw error;
    const reason = error.message.slice(error.message.lastIndexOf(": ") + 2);
    const [, list, index] = /^(matchLabels|matchExpressions)\[(.*)\]$/.exec(error.field) ?? [];
    const where = list === undefined
      ? path
      : [...path, list, list === "matchLabels" ? JSON.parse(index!) : Number(index)];
    throw source.errorAt(where, `Invalid label selector: ${reason}`);
  }
}

function parseDocument(source: YamlSource): AccessPolicy {
  const doc = validateSource(policySchema, source.toJS(), source);
  const rules: PolicyRule[] = (doc.spec.policies ?? []).map((p, i) => {
    const at = (...rest: PropertyKey[]) => ["spec", "policies", i, ...rest];
    const rule: PolicyRule = {
      priority: p.priority ?? 0,
      from: (p.from ?? []).map((f, j) =>
        selectorAt(source, at("from", j, "clientSelector"), f.clientSelector)
      ),
      spotAccess: p.spotAccess ?? false,
    };
    if (p.description !== undefined) rule.description = p.description;
    if (p.maximumDuration !== undefined) {
      const ms = parseGoDuration(p.maximumDuration);
      if (ms === undefined) {
        throw source.errorAt(
          at("maximumDuration"),
          `Invalid duration ${JSON.stringify(p.maximumDuration)} (expected e.g. 30m, 12h, 1h30m)`,
        );
      }
      rule.maximumDuration = ms;
    }
    return rule;
  });
  return {
    namespace: doc.metadata.namespace ?? DEFAULT_NAMESPACE,
    name: doc.metadata.name,
    exporterSelector: selectorAt(source, ["spec", "exporterSelector"], doc.spec.exporterSelector),
    rules,
  };
}

/** Parses every ExporterAccessPolicy in `text` (from `file`); throws one ConfigError. */
export function parseAccessPolicies(text: string, file: string): AccessPolicy[] {
  const policies: AccessPolicy[] = [];
  const seen = new Map<string, number>();
  for (const chunk of documents(text)) {
    const source = YamlSource.parse(chunk, file);
    const policy = parseDocument(source);
    const key = `${policy.namespace}/${policy.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw source.errorAt(
        ["metadata", "name"],
        `Duplicate ExporterAccessPolicy ${key} (first at line ${first})`,
      );
    }
    seen.set(key, source.locate(["metadata", "name"]).line);
    policies.push(policy);
  }
  return policies;
}

/** Reads and parses a policy file; a missing or unreadable file is one ConfigError too. */
export async function loadAccessPolicies(file: string): Promise<AccessPolicy[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "No such file"
      : `Cannot read: ${(error as Error).message}`;
    throw new ConfigError(reason, { file, line: 0, column: 0, field: "" }, { cause: error });
  }
  return parseAccessPolicies(text, file);
}
