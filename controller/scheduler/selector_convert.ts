/**
 * Conversion between parsed selectors and the protobuf / metav1 `LabelSelector` shape
 * (`matchLabels` + `matchExpressions` with `In`/`NotIn`/`Exists`/`DoesNotExist`).
 *
 * To LabelSelector as the HEAD controller converts lease selectors: `=`/`==` go to matchLabels
 * (a second, different value for the same key becomes an `In` expression, since a map holds one),
 * `!=` becomes `NotIn`. From LabelSelector as `metav1.LabelSelectorAsSelector`: matchLabels become
 * `k=v`, expressions keep their set form. So the canonical text of a lease selector, as the
 * controller prints it, is `canonicalSelector(text)` (the caller prints `<none>` for "").
 */
import { labelKeyProblem, labelValueProblem } from "./label_names.ts";
import {
  formatSelector,
  makeSelector,
  parseSelector,
  type Requirement,
  type Selector,
} from "./selector.ts";

export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** Structurally compatible with the generated `jumpstarter.v1.LabelSelectorRequirement`. */
export interface LabelSelectorRequirementShape {
  key: string;
  operator: string;
  values: string[];
}

/** Structurally compatible with the generated `jumpstarter.v1.LabelSelector`. */
export interface LabelSelectorShape {
  matchLabels: { [key: string]: string };
  matchExpressions: LabelSelectorRequirementShape[];
}

/** A LabelSelector that is not valid; `field` is the offending path, e.g. `matchExpressions[0]`. */
export class LabelSelectorError extends Error {
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`invalid label selector: ${field}: ${reason}`);
    this.name = "LabelSelectorError";
    this.field = field;
  }
}

/** The LabelSelector form of a parsed selector. */
export function toLabelSelector(selector: Selector): LabelSelectorShape {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirementShape[] = [];
  for (const r of selector.requirements) {
    switch (r.operator) {
      case "Equals":
      case "DoubleEquals": {
        const value = r.values[0] ?? "";
        if (!Object.hasOwn(matchLabels, r.key)) {
          matchLabels[r.key] = value;
        } else if (matchLabels[r.key] !== value) {
          matchExpressions.push({ key: r.key, operator: "In", values: [value] });
        }
        break;
      }
      case "NotEquals":
        matchExpressions.push({ key: r.key, operator: "NotIn", values: [r.values[0] ?? ""] });
        break;
      default:
        matchExpressions.push({ key: r.key, operator: r.operator, values: [...r.values] });
    }
  }
  return { matchLabels, matchExpressions };
}

function checkKey(field: string, key: string): void {
  const problem = labelKeyProblem(key);
  if (problem !== undefined) {
    throw new LabelSelectorError(field, `key ${JSON.stringify(key)} ${problem}`);
  }
}

function checkValue(field: string, value: string): void {
  const problem = labelValueProblem(value);
  if (problem !== undefined) {
    throw new LabelSelectorError(field, `value ${JSON.stringify(value)} ${problem}`);
  }
}

/** Parses a LabelSelector (validated as metav1 does); throws LabelSelectorError. */
export function fromLabelSelector(ls: Partial<LabelSelectorShape>): Selector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(ls.matchLabels ?? {})) {
    const field = `matchLabels[${JSON.stringify(key)}]`;
    checkKey(field, key);
    checkValue(field, value);
    requirements.push({ key, operator: "Equals", values: [value] });
  }
  for (const [i, e] of (ls.matchExpressions ?? []).entries()) {
    const field = `matchExpressions[${i}]`;
    checkKey(field, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          throw new LabelSelectorError(field, `values must be non-empty for ${e.operator}`);
        }
        for (const v of values) checkValue(field, v);
        requirements.push({ key: e.key, operator: e.operator, values });
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          throw new LabelSelectorError(field, `values must be empty for ${e.operator}`);
        }
        requirements.push({ key: e.key, operator: e.operator, values: [] });
        break;
      default:
        throw new LabelSelectorError(
          field,
          `${JSON.stringify(e.operator)} is not a valid label selector operator`,
        );
    }
  }
  return makeSelector(requirements);
}

/** `metav1.FormatLabelSelector` without the `<none>` for an empty selector. */
export function formatLabelSelector(ls: Partial<LabelSelectorShape>): string {
  return formatSelector(fromLabelSelector(ls));
}

/** The text the controller prints for a lease selector given as text (throws on bad text). */
export function canonicalSelector(text: string): string {
  return formatLabelSelector(toLabelSelector(parseSelector(text)));
}
