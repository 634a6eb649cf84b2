import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from "yaml";
import { ConfigError, type ConfigErrorLocation, describeValue, formatField } from "./errors.ts";

/** A 1-based position in a config file. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** `file:line:column`, the prefix of every located message. */
export function formatSourceLocation(source: SourceLocation): string {
  return `${source.file}:${source.line}:${source.column}`;
}

/** One entry of a YAML map, in document order. */
export interface YamlEntry {
  readonly key: string;
  readonly path: readonly PropertyKey[];
}

interface Lookup {
  /** The deepest node reached (a resolved value, or the document itself). */
  readonly node: Node | null;
  /** The key of the last pair walked through, when the walk went through a map. */
  readonly key: Node | null;
  /** Whether the whole path was found. */
  readonly complete: boolean;
}

/**
 * A parsed YAML document that remembers where each value came from, so that
 * validation problems found later on plain values can be reported with a position.
 */
export class YamlSource {
  readonly file: string;
  #doc: Document.Parsed;
  #lines: LineCounter;

  private constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
  }

  /** Parses `text`; malformed YAML and duplicate keys throw a located {@link ConfigError}. */
  static parse(text: string, file: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    const source = new YamlSource(file, doc, lines);
    const [first] = doc.errors;
    if (first !== undefined) throw source.#syntaxError(first);
    if (doc.contents === null) {
      throw new ConfigError("The file is empty", { ...source.position(0), field: "" });
    }
    source.#checkAliases();
    return source;
  }

  /** The document as plain JavaScript values (maps become objects). */
  toJS(): unknown {
    try {
      return this.#doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Only alias expansion can fail here, e.g. a "billion laughs" document.
      const reason = error instanceof Error ? sentence(error.message) : String(error);
      throw new ConfigError(reason, { ...this.position(0), field: "" }, { cause: error });
    }
  }

  /** The position of `offset` (0-based character index) in the file. */
  position(offset: number): SourceLocation {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /**
   * Where the value at `path` starts. A path that runs past the document points at the
   * nearest existing parent; an empty value points at its key.
   */
  locate(path: readonly PropertyKey[], at: "value" | "key" = "value"): SourceLocation {
    const found = this.#lookup(path);
    let target: Node | null = found.node;
    if (found.complete && found.key !== null) {
      if (at === "key" || target === null || isEmptyScalar(target)) target = found.key;
    }
    const offset = target?.range?.[0] ?? 0;
    return this.position(offset);
  }

  /** A {@link ConfigError} for the value (or key) at `path`. */
  errorAt(
    path: readonly PropertyKey[],
    reason: string,
    at: "value" | "key" = "value",
  ): ConfigError {
    return new ConfigError(reason, { ...this.locate(path, at), field: formatField(path) });
  }

  /** The keys of the map at `path`, in document order; empty when it is not a map. */
  entries(path: readonly PropertyKey[]): YamlEntry[] {
    const found = this.#lookup(path);
    if (!found.complete || !isMap(found.node)) return [];
    const out: YamlEntry[] = [];
    for (const pair of found.node.items) {
      const key = keyText(pair.key);
      if (key !== undefined) out.push({ key, path: [...path, key] });
    }
    return out;
  }

  #checkAliases(): void {
    let bad: { alias: Alias; reason: string } | undefined;
    visit(this.#doc, {
      Alias: (_key, node) => {
        const target = node.resolve(this.#doc);
        const name = describeValue(node.source);
        if (target === undefined) {
          bad = {
            alias: node,
            reason: `Unknown anchor ${name} (an anchor must come before its aliases)`,
          };
        } else if (contains(target, node.range?.[0] ?? -1)) {
          bad = { alias: node, reason: `Alias ${name} refers to a value that contains it` };
        } else {
          return undefined;
        }
        return visit.BREAK;
      },
    });
    if (bad === undefined) return;
    const offset = bad.alias.range?.[0] ?? 0;
    const { path } = this.#pathAt(offset);
    throw new ConfigError(bad.reason, { ...this.position(offset), field: formatField(path) });
  }

  #resolve(node: unknown): Node | null {
    if (isAlias(node)) return node.resolve(this.#doc) ?? null;
    return isMap(node) || isSeq(node) || isScalar(node) ? node : null;
  }

  #lookup(path: readonly PropertyKey[]): Lookup {
    let node = this.#resolve(this.#doc.contents);
    let key: Node | null = null;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (pair === undefined) return { node, key, complete: false };
        key = isScalar(pair.key) ? pair.key : null;
        node = this.#resolve(pair.value);
      } else if (isSeq(node) && typeof segment === "number") {
        const item = this.#resolve(node.items[segment]);
        if (item === null) return { node, key, complete: false };
        key = null;
        node = item;
      } else {
        return { node, key, complete: false };
      }
    }
    return { node, key, complete: true };
  }

  /** The field path of whatever starts at `offset`, and the key there if it is a key. */
  #pathAt(offset: number): { path: PropertyKey[]; key: string | undefined } {
    const path: PropertyKey[] = [];
    // Text offsets never lie inside an alias's target, so aliases are not followed (nor looped).
    const inPlace = (node: unknown) => isAlias(node) ? null : this.#resolve(node);
    let node = inPlace(this.#doc.contents);
    for (;;) {
      if (isMap(node)) {
        const pair = node.items.find((item) => contains(item.key, offset));
        if (pair !== undefined) {
          const key = keyText(pair.key);
          if (key !== undefined) path.push(key);
          return { path, key };
        }
        const holder = node.items.find((item) => contains(item.value, offset));
        const key = holder === undefined ? undefined : keyText(holder.key);
        if (holder === undefined || key === undefined) break;
        path.push(key);
        node = inPlace(holder.value);
      } else if (isSeq(node)) {
        const index = node.items.findIndex((item) => contains(item, offset));
        if (index === -1) break;
        path.push(index);
        node = inPlace(node.items[index]);
      } else {
        break;
      }
    }
    return { path, key: undefined };
  }

  #syntaxError(error: YAMLError): ConfigError {
    const offset = error.pos[0];
    const { path, key } = this.#pathAt(offset);
    let reason = sentence(error.message);
    if (error.code === "DUPLICATE_KEY" && key !== undefined) {
      reason = `Duplicate key ${describeValue(key)}`;
    } else if (error.code === "MULTIPLE_DOCS") {
      reason = "Expected a single YAML document, found several";
    }
    const location: ConfigErrorLocation = {
      ...this.position(offset),
      field: error.code === "DUPLICATE_KEY" ? formatField(path) : "",
    };
    return new ConfigError(reason, location, { cause: error });
  }
}

function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value = key.value;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  return undefined;
}

function contains(node: unknown, offset: number): boolean {
  if (isPair(node) || node === null || typeof node !== "object" || !("range" in node)) {
    return false;
  }
  const range = (node as Node).range;
  return range != null && range[0] <= offset && offset < Math.max(range[2], range[0] + 1);
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.range != null &&
    node.range[0] === node.range[1];
}

function sentence(message: string): string {
  const trimmed = message.trim().replace(/\.$/, "");
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}
