/**
 * Lease durations on the command line: upstream's forms (ISO 8601 `PnDTnHnMnS`, `HH:MM:SS`,
 * `D days, HH:MM:SS`) and short ones (`90s`, `30m`, `1h30m`, `2d`).
 */
import { UsageError } from "./errors.ts";

const UNIT_MS: Record<string, number> = { d: 86400e3, h: 3600e3, m: 60e3, s: 1e3 };

function iso(text: string): number | undefined {
  const match =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i
      .exec(text);
  if (!match || text.toUpperCase() === "P" || /T$/i.test(text)) return undefined;
  const [, d = "0", h = "0", m = "0", s = "0"] = match;
  return Number(d) * 86400e3 + Number(h) * 3600e3 + Number(m) * 60e3 + Number(s) * 1e3;
}

function clock(text: string): number | undefined {
  const match = /^(?:(\d+)\s+days?,\s*)?(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)$/.exec(text);
  if (!match) return undefined;
  const [, days = "0", h, m, s] = match;
  return Number(days) * 86400e3 + Number(h) * 3600e3 + Number(m) * 60e3 + Number(s) * 1e3;
}

function short(text: string): number | undefined {
  if (!/^(\d+(?:\.\d+)?[dhms])+$/i.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.toLowerCase().matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) {
    total += Number(amount) * UNIT_MS[unit!]!;
  }
  return total;
}

/**
 * Parses a duration into milliseconds.
 *
 * @throws {UsageError} naming the text when no form matches or it is not positive.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const ms = iso(trimmed) ?? clock(trimmed) ?? short(trimmed);
  if (ms === undefined || !(ms > 0)) {
    throw new UsageError(
      `invalid duration "${text}": use e.g. 30m, 1h30m, 00:30:00, "1 day, 02:00:00" or PT30M`,
    );
  }
  return ms;
}

/** `5400000` -> `1h30m`. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  let out = "";
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out || "0s";
}
