/**
 * Asking for values on a terminal, as upstream's `jmp config` and `jmp login` do: plain and
 * hidden lines, yes/no confirmations, and the missing flags of a command collected at once.
 */
import { ExitCode, UsageError } from "./errors.ts";

/** The options that ask for a value interactively, as `create` takes them. */
export interface InteractivityFlags {
  nointeractive?: boolean;
}

/** Whether missing values may be asked for: stdin is a terminal and `--nointeractive` is off. */
export function canPrompt(flags: InteractivityFlags): boolean {
  return !flags.nointeractive && Deno.stdin.isTerminal();
}

/** Reports a declined or interrupted prompt as upstream does: `Aborted!`, exit 1. */
export function aborted(): never {
  console.error("Aborted!");
  throw new ExitCode(1);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Bytes read from stdin past the end of the last answer (typed ahead or pasted). */
let pending = new Uint8Array(0);

async function readStdin(): Promise<Uint8Array | null> {
  if (pending.length > 0) {
    const chunk = pending;
    pending = new Uint8Array(0);
    return chunk;
  }
  const buffer = new Uint8Array(1024);
  const count = await Deno.stdin.read(buffer);
  return count === null ? null : buffer.subarray(0, count);
}

/** One line from stdin without its line end; null at end of input before any character. */
async function readLine(): Promise<string | null> {
  const parts: number[] = [];
  for (;;) {
    const chunk = await readStdin();
    if (chunk === null) return parts.length === 0 ? null : decoder.decode(new Uint8Array(parts));
    const end = chunk.indexOf(0x0a);
    if (end === -1) {
      parts.push(...chunk);
      continue;
    }
    parts.push(...chunk.subarray(0, end));
    pending = chunk.slice(end + 1);
    return decoder.decode(new Uint8Array(parts)).replace(/\r$/, "");
  }
}

/** One line typed on the terminal without echo; null on Ctrl-C, or Ctrl-D before any character. */
async function readHiddenLine(): Promise<string | null> {
  const typed: number[] = [];
  Deno.stdin.setRaw(true);
  try {
    for (;;) {
      const chunk = await readStdin();
      if (chunk === null) return typed.length === 0 ? null : decoder.decode(new Uint8Array(typed));
      for (const [index, byte] of chunk.entries()) {
        if (byte === 0x0d || byte === 0x0a) {
          pending = chunk.slice(index + 1);
          return decoder.decode(new Uint8Array(typed));
        }
        if (byte === 0x03 || (byte === 0x04 && typed.length === 0)) return null;
        if (byte === 0x7f || byte === 0x08) {
          // drop the whole last UTF-8 character
          while (typed.length > 0 && ((typed.pop() ?? 0) & 0xc0) === 0x80) { /* continuation */ }
        } else if (byte >= 0x20) {
          typed.push(byte);
        }
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
}

/** Options of {@linkcode prompt}. */
export interface PromptOptions {
  /** Do not echo what is typed (tokens). */
  hidden?: boolean;
  /** Accept an empty answer; otherwise ask again. */
  optional?: boolean;
}

/** Asks on the terminal (prompt on stderr, so stdout stays clean); `Aborted!` on end of input. */
export async function prompt(message: string, options: PromptOptions = {}): Promise<string> {
  for (;;) {
    await Deno.stderr.write(encoder.encode(`${message}: `));
    const answer = options.hidden ? await readHiddenLine() : await readLine();
    if (answer === null) return aborted();
    const value = answer.trim();
    if (value !== "" || options.optional) return value;
  }
}

/** Asks a yes/no question that defaults to no. */
export async function confirm(message: string): Promise<boolean> {
  await Deno.stderr.write(encoder.encode(`${message} [y/N]: `));
  const answer = await readLine();
  if (answer === null) return aborted();
  return /^\s*y(es)?\s*$/i.test(answer);
}

/** A value that may come from a flag or a prompt. */
export interface PromptedValue {
  /** The flag, e.g. `--namespace`. */
  readonly flag: string;
  /** What the flag gave, if anything. */
  readonly given: string | undefined;
  readonly message: string;
  readonly hidden?: boolean;
  /** Missing is allowed (and an empty answer too). */
  readonly optional?: boolean;
}

/**
 * The values of `fields`, in order: given by their flags, else asked for when prompting is
 * possible, else a usage error naming every missing required flag.
 */
export async function collectValues(
  fields: readonly PromptedValue[],
  interactive: boolean,
): Promise<(string | undefined)[]> {
  if (!interactive) {
    const missing = fields.filter((field) => field.given === undefined && !field.optional);
    if (missing.length > 0) {
      const flags = missing.map((field) => `'${field.flag}'`).join(", ");
      const why = Deno.stdin.isTerminal()
        ? "--nointeractive is set"
        : "stdin is not a terminal to ask on";
      throw new UsageError(`Missing option${missing.length > 1 ? "s" : ""} ${flags} (${why})`);
    }
    return fields.map((field) => field.given);
  }
  const values: (string | undefined)[] = [];
  for (const field of fields) {
    values.push(
      field.given ?? await prompt(field.message, {
        ...(field.hidden ? { hidden: true } : {}),
        ...(field.optional ? { optional: true } : {}),
      }),
    );
  }
  return values;
}
