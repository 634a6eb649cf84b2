/**
 * Argument parsers shared by driver CLIs, so every `j` command reads and rejects a value the
 * same way.
 */
import { InvalidArgumentError } from "commander";

/** Bounds of {@linkcode parseSeconds}. */
export interface SecondsOptions {
  /** Whether 0 is refused (a timeout must be positive; a wait may be 0). Default: false. */
  positive?: boolean;
  /** Whether only whole seconds are accepted (a value sent as an integer). Default: false. */
  whole?: boolean;
}

/**
 * Parses a number of seconds given to `flag` (e.g. `--wait`): a finite decimal number, at least
 * 0 (above 0 with `positive`, an integer with `whole`).
 *
 * @example Reading `--timeout 2.5`
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeconds } from "@jumpstarter/lib/client";
 *
 * assert.equal(parseSeconds("2.5", "--timeout", { positive: true }), 2.5);
 * ```
 *
 * @throws {InvalidArgumentError} naming `flag` and the text when it is not such a number
 * (commander reports it as a usage error).
 */
export function parseSeconds(text: string, flag: string, options: SecondsOptions = {}): number {
  const value = Number(text);
  const valid = text.trim() !== "" && Number.isFinite(value) && value >= 0 &&
    !(options.positive && value === 0) && !(options.whole && !Number.isInteger(value));
  if (!valid) {
    const bound = options.positive ? "a positive" : "a non-negative";
    const kind = options.whole ? "whole number" : "number";
    throw new InvalidArgumentError(`${flag} expects ${bound} ${kind} of seconds, got "${text}"`);
  }
  return value;
}

/**
 * A commander argument parser for a seconds option: `.option("-w, --wait <seconds>", "...",
 * secondsArg("--wait"), 2)`.
 */
export function secondsArg(flag: string, options: SecondsOptions = {}): (text: string) => number {
  return (text) => parseSeconds(text, flag, options);
}
