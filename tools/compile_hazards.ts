/**
 * What in a module's source breaks it inside a `deno compile`d binary: a dynamic import whose
 * specifier is not a literal (the compiler cannot see what to embed), and a runtime read of a
 * file found from the module's own location (`import.meta`), which is not there in a binary.
 * A line (or the line above it) saying `compile-safe: <why>` is let through.
 *
 * @module
 */

/** One hazard: its 1-based line and what is wrong. */
export interface Hazard {
  line: number;
  reason: string;
}

const ALLOW_MARKER = "compile-safe:";

/** Calls that read a file (or directory) given as their first argument. */
const READS =
  /\b(?:Deno\.(?:readTextFile|readFile|readDir|open|readLink|stat|lstat)(?:Sync)?|readFile(?:Sync)?|createReadStream|fetch)\s*\(/g;

/** `source` with comments blanked out, line breaks kept (so line numbers stay right). */
function withoutComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, (_, before: string) => before);
}

/** The text of the call's arguments from `start` (just after its `(`) to its closing paren. */
function argumentsFrom(text: string, start: number): string {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return text.slice(start, i);
  }
  return text.slice(start);
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text[i] === "\n") line++;
  return line;
}

/** Names bound to an expression that uses `import.meta` (`const ROOT = new URL(.., import.meta.url)`). */
function namesFromImportMeta(code: string): string[] {
  const names: string[] = [];
  for (const match of code.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*([^;]*)/g)) {
    if (match[2]!.includes("import.meta")) names.push(match[1]!);
  }
  return names;
}

/** The hazards in `source` (a TypeScript or JavaScript module). */
export function compileHazards(source: string): Hazard[] {
  const code = withoutComments(source);
  const lines = source.split("\n");
  const allowed = (line: number) =>
    [lines[line - 1], lines[line - 2]].some((text) => text?.includes(ALLOW_MARKER));
  const hazards: Hazard[] = [];
  const add = (index: number, reason: string) => {
    const line = lineOf(code, index);
    if (!allowed(line)) hazards.push({ line, reason });
  };
  for (const match of code.matchAll(/(?<![\w$.])import\s*\(/g)) {
    const specifier = argumentsFrom(code, match.index + match[0].length).trim();
    const literal = /^(["'])[^"'\n]*\1\s*(,|$)/.test(specifier) ||
      /^`[^`$]*`\s*(,|$)/.test(specifier);
    if (!literal) {
      add(match.index, `dynamic import of a computed specifier (${specifier.slice(0, 40)})`);
    }
  }
  const fromModule = namesFromImportMeta(code);
  for (const match of code.matchAll(READS)) {
    const args = argumentsFrom(code, match.index + match[0].length);
    const found = args.includes("import.meta")
      ? "import.meta"
      : fromModule.find((name) => new RegExp(`(?<![\\w$.])${name}(?![\\w$])`).test(args));
    if (found) add(match.index, `reads a file found from the module's location (${found})`);
  }
  return hazards.sort((a, b) => a.line - b.line);
}
