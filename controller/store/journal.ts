/**
 * The journal format: JSON lines. Line 1 is a header naming the journal's generation; every other
 * line is one change (`put` with the full record, `delete`, or `sequence`). Parsing tolerates a
 * torn final line (a crash mid-append) and rejects damage anywhere else.
 */
import {
  assertKeyed,
  COLLECTION_NAMES,
  type CollectionName,
  StoreCorruptError,
  type StoreOp,
} from "./types.ts";

export const FORMAT_VERSION = 1;

export function encodeHeader(generation: number): string {
  return JSON.stringify({ op: "journal", version: FORMAT_VERSION, generation }) + "\n";
}

export function encodeOp(op: StoreOp): string {
  return JSON.stringify(op) + "\n";
}

export interface ParsedJournal {
  /** The header's generation; undefined for an empty journal (or one with only a torn header). */
  generation: number | undefined;
  ops: StoreOp[];
  /** Bytes up to the end of the last good line; the rest is a torn line to cut off. */
  validBytes: number;
  /** True when a torn final line was dropped. */
  torn: boolean;
  /** True when the last good line lacks its newline (append one before writing more). */
  missingNewline: boolean;
}

interface Segment {
  start: number;
  end: number;
  /** Whether a newline follows. */
  terminated: boolean;
}

function splitLines(bytes: Uint8Array): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      out.push({ start, end: i, terminated: true });
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push({ start, end: bytes.length, terminated: false });
  return out;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function isBlank(line: Uint8Array): boolean {
  return line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);
}

function parseJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(decoder.decode(bytes)) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function isCollection(value: unknown): value is CollectionName {
  return typeof value === "string" && (COLLECTION_NAMES as readonly string[]).includes(value);
}

/** Checks a parsed line's shape; returns the op or a reason. */
export function toOp(value: unknown): StoreOp | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const v = value as Record<string, unknown>;
  switch (v["op"]) {
    case "put": {
      if (!isCollection(v["collection"])) {
        return `unknown collection ${JSON.stringify(v["collection"])}`;
      }
      try {
        assertKeyed(v["record"], "put");
      } catch (error) {
        return (error as Error).message;
      }
      return { op: "put", collection: v["collection"], record: v["record"] };
    }
    case "delete": {
      if (!isCollection(v["collection"])) {
        return `unknown collection ${JSON.stringify(v["collection"])}`;
      }
      const { namespace, name } = v;
      if (typeof namespace !== "string" || typeof name !== "string") {
        return `delete needs string "namespace" and "name"`;
      }
      return { op: "delete", collection: v["collection"], namespace, name };
    }
    case "sequence": {
      const n = v["value"];
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
        return `sequence needs a non-negative integer "value"`;
      }
      return { op: "sequence", value: n };
    }
    default:
      return `unknown op ${JSON.stringify(v["op"])}`;
  }
}

function toGeneration(value: unknown): number | string {
  if (typeof value !== "object" || value === null) return "not a journal header";
  const v = value as Record<string, unknown>;
  if (v["op"] !== "journal") return "the first line is not a journal header";
  if (v["version"] !== FORMAT_VERSION) {
    return `unsupported journal version ${JSON.stringify(v["version"])}`;
  }
  const g = v["generation"];
  if (typeof g !== "number" || !Number.isSafeInteger(g) || g < 0) return "bad generation";
  return g;
}

/** Parses a journal; `file` names it in errors. Throws StoreCorruptError. */
export function parseJournal(bytes: Uint8Array, file: string): ParsedJournal {
  const segments = splitLines(bytes);
  let lastNonBlank = -1;
  for (const [i, s] of segments.entries()) {
    if (!isBlank(bytes.subarray(s.start, s.end))) lastNonBlank = i;
  }
  const result: ParsedJournal = {
    generation: undefined,
    ops: [],
    validBytes: 0,
    torn: false,
    missingNewline: false,
  };
  for (const [i, s] of segments.entries()) {
    const line = bytes.subarray(s.start, s.end);
    const lineNo = i + 1;
    const end = s.terminated ? s.end + 1 : s.end;
    if (i > lastNonBlank) {
      // Trailing blank lines are harmless; an unterminated one is cut off.
      if (s.terminated) result.validBytes = end;
      continue;
    }
    if (isBlank(line)) {
      result.validBytes = end;
      continue;
    }
    const parsed = parseJson(line);
    if (!parsed.ok) {
      if (i === lastNonBlank) {
        result.torn = true;
        return result;
      }
      throw new StoreCorruptError(file, lineNo, `unparseable journal line (${parsed.error})`);
    }
    if (result.generation === undefined) {
      const g = toGeneration(parsed.value);
      if (typeof g === "string") throw new StoreCorruptError(file, lineNo, g);
      result.generation = g;
    } else {
      const op = toOp(parsed.value);
      if (typeof op === "string") throw new StoreCorruptError(file, lineNo, op);
      result.ops.push(op);
    }
    result.validBytes = end;
    if (!s.terminated) result.missingNewline = true;
  }
  return result;
}
