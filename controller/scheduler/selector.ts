/**
 * Kubernetes label selectors in text form (apimachinery `labels.Parse` syntax): `k=v`, `k==v`,
 * `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), comma = AND,
 * whitespace anywhere between tokens. Keys and values are validated as Kubernetes does. The
 * set-based operators `>`/`<` (not expressible as a LabelSelector) are refused.
 *
 * Conversions to and from the protobuf `LabelSelector` shape are in selector_convert.ts.
 */
import { labelKeyProblem, labelValueProblem } from "./label_names.ts";

export type Operator =
  | "Equals"
  | "DoubleEquals"
  | "NotEquals"
  | "In"
  | "NotIn"
  | "Exists"
  | "DoesNotExist";

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** One value for (Double|Not)Equals; a sorted set for In/NotIn; none otherwise. */
  readonly values: readonly string[];
}

/** Requirements ANDed together, sorted by key (then text); none = matches everything. */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

/** Bad selector text; `position` is the 0-based offset of the offending token. */
export class SelectorSyntaxError extends SyntaxError {
  readonly input: string;
  readonly position: number;
  readonly reason: string;
  constructor(input: string, position: number, reason: string) {
    super(`invalid label selector ${JSON.stringify(input)}: ${reason} at position ${position}`);
    this.name = "SelectorSyntaxError";
    this.input = input;
    this.position = position;
    this.reason = reason;
  }
}

type Kind =
  | "ident"
  | "in"
  | "notin"
  | "!"
  | "="
  | "=="
  | "!="
  | "("
  | ")"
  | ","
  | ">"
  | "<"
  | "end";

interface Token {
  kind: Kind;
  text: string;
  pos: number;
}

const SPECIAL = new Set(["!", "=", "(", ")", ",", ">", "<"]);
const SPACE = /\s/;

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (SPACE.test(ch)) {
      i++;
      continue;
    }
    if (SPECIAL.has(ch)) {
      const two = input.slice(i, i + 2);
      if (two === "==" || two === "!=") {
        tokens.push({ kind: two, text: two, pos: i });
        i += 2;
      } else {
        tokens.push({ kind: ch as Kind, text: ch, pos: i });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < input.length && !SPACE.test(input[i]!) && !SPECIAL.has(input[i]!)) i++;
    const text = input.slice(start, i);
    const kind: Kind = text === "in" ? "in" : text === "notin" ? "notin" : "ident";
    tokens.push({ kind, text, pos: start });
  }
  tokens.push({ kind: "end", text: "", pos: input.length });
  return tokens;
}

function describe(t: Token): string {
  return t.kind === "end" ? "end of input" : JSON.stringify(t.text);
}

class Parser {
  #input: string;
  #tokens: Token[];
  #at = 0;

  constructor(input: string) {
    this.#input = input;
    this.#tokens = lex(input);
  }

  #peek(): Token {
    return this.#tokens[this.#at]!;
  }

  #next(): Token {
    const t = this.#tokens[this.#at]!;
    if (t.kind !== "end") this.#at++;
    return t;
  }

  /** In value position the keywords are plain words (`k=in` means the value "in"). */
  #isValue(t: Token): boolean {
    return t.kind === "ident" || t.kind === "in" || t.kind === "notin";
  }

  #fail(t: Token, reason: string): never {
    throw new SelectorSyntaxError(this.#input, t.pos, reason);
  }

  parse(): Requirement[] {
    const out: Requirement[] = [];
    if (this.#peek().kind === "end") return out;
    for (;;) {
      out.push(this.#requirement());
      const t = this.#next();
      if (t.kind === "end") return out;
      if (t.kind !== ",") this.#fail(t, `expected "," or end of input, found ${describe(t)}`);
    }
  }

  #key(t: Token): string {
    const problem = labelKeyProblem(t.text);
    if (problem !== undefined) {
      this.#fail(t, `invalid label key ${JSON.stringify(t.text)}: ${problem}`);
    }
    return t.text;
  }

  #value(t: Token): string {
    const problem = labelValueProblem(t.text);
    if (problem !== undefined) {
      this.#fail(t, `invalid label value ${JSON.stringify(t.text)}: ${problem}`);
    }
    return t.text;
  }

  #requirement(): Requirement {
    const first = this.#next();
    if (first.kind === "!") {
      const k = this.#next();
      if (k.kind !== "ident") this.#fail(k, `expected a label key after "!", found ${describe(k)}`);
      return { key: this.#key(k), operator: "DoesNotExist", values: [] };
    }
    if (first.kind !== "ident") {
      this.#fail(first, `expected a label key or "!", found ${describe(first)}`);
    }
    const key = this.#key(first);
    const op = this.#peek();
    switch (op.kind) {
      case "end":
      case ",":
        return { key, operator: "Exists", values: [] };
      case "=":
      case "==":
      case "!=": {
        this.#next();
        const operator = op.kind === "="
          ? "Equals"
          : op.kind === "=="
          ? "DoubleEquals"
          : "NotEquals";
        const v = this.#peek();
        if (v.kind === "end" || v.kind === ",") return { key, operator, values: [""] };
        if (!this.#isValue(v)) {
          this.#fail(v, `expected a value after "${op.text}", found ${describe(v)}`);
        }
        this.#next();
        return { key, operator, values: [this.#value(v)] };
      }
      case "in":
      case "notin": {
        this.#next();
        return { key, operator: op.kind === "in" ? "In" : "NotIn", values: this.#list(op) };
      }
      case ">":
      case "<":
        return this.#fail(op, `operator "${op.text}" is not supported`);
      default:
        return this.#fail(
          op,
          `expected an operator (=, ==, !=, in, notin), "," or end of input after key ` +
            `${JSON.stringify(key)}, found ${describe(op)}`,
        );
    }
  }

  /** `( v, v, ... )`; empty items are the empty string, as in Kubernetes (`()` = `("")`). */
  #list(op: Token): string[] {
    const open = this.#next();
    if (open.kind !== "(") {
      this.#fail(open, `expected "(" after "${op.text}", found ${describe(open)}`);
    }
    const values = new Set<string>();
    for (;;) {
      const v = this.#peek();
      if (this.#isValue(v)) {
        this.#next();
        values.add(this.#value(v));
      } else {
        values.add("");
      }
      const sep = this.#next();
      if (sep.kind === ")") return [...values].sort();
      if (sep.kind !== ",") this.#fail(sep, `expected "," or ")", found ${describe(sep)}`);
    }
  }
}

/** Requirement text as Kubernetes prints it (`Requirement.String()`). */
export function formatRequirement(r: Requirement): string {
  switch (r.operator) {
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
    case "Equals":
      return `${r.key}=${r.values[0] ?? ""}`;
    case "DoubleEquals":
      return `${r.key}==${r.values[0] ?? ""}`;
    case "NotEquals":
      return `${r.key}!=${r.values[0] ?? ""}`;
    case "In":
      return `${r.key} in (${[...r.values].sort().join(",")})`;
    case "NotIn":
      return `${r.key} notin (${[...r.values].sort().join(",")})`;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts requirements (by key, then text) and set values, as Kubernetes' `Selector.Add` does. */
export function makeSelector(requirements: Iterable<Requirement>): Selector {
  const normal = [...requirements].map((r): Requirement =>
    r.operator === "In" || r.operator === "NotIn"
      ? { key: r.key, operator: r.operator, values: [...new Set(r.values)].sort() }
      : { key: r.key, operator: r.operator, values: [...r.values] }
  );
  const keyed = normal.map((r) => ({ r, text: formatRequirement(r) }));
  keyed.sort((a, b) => compareStrings(a.r.key, b.r.key) || compareStrings(a.text, b.text));
  return { requirements: keyed.map((k) => k.r) };
}

/** Parses selector text; throws SelectorSyntaxError. Empty text matches everything. */
export function parseSelector(text: string): Selector {
  return makeSelector(new Parser(text).parse());
}

/** Kubernetes' text for the selector ("" when it matches everything). */
export function formatSelector(selector: Selector): string {
  return selector.requirements.map(formatRequirement).join(",");
}

/** Whether the selector has no requirements (matches everything). */
export function isEverything(selector: Selector): boolean {
  return selector.requirements.length === 0;
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "Equals":
    case "DoubleEquals":
    case "In":
      return has && r.values.includes(value!);
    case "NotEquals":
    case "NotIn":
      return !has || !r.values.includes(value!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

/** Whether `labels` satisfy every requirement (text selectors are parsed first). */
export function matches(
  selector: Selector | string,
  labels: Readonly<Record<string, string>>,
): boolean {
  const s = typeof selector === "string" ? parseSelector(selector) : selector;
  return s.requirements.every((r) => requirementMatches(r, labels));
}
