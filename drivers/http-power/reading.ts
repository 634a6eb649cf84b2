/**
 * Turns the body of a `read` answer into a power reading, as its `parse` spec says.
 */
import type { PowerReading } from "@jumpstarter/driver-power";
import { DriverError } from "@jumpstarter/lib/wire";
import type { ParseSpec } from "./config.ts";

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const number = Number(value.trim());
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/** Follows a dotted path (`meter.outlets.2.current`) through objects and arrays. */
function lookUp(root: unknown, path: string): { found: true; value: unknown } | { found: false } {
  let node = root;
  for (const segment of path.split(".")) {
    if (Array.isArray(node) && /^\d+$/.test(segment) && Number(segment) < node.length) {
      node = node[Number(segment)];
    } else if (
      typeof node === "object" && node !== null && !Array.isArray(node) &&
      Object.hasOwn(node, segment)
    ) {
      node = (node as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: node };
}

function fromJson(
  document: unknown,
  path: string,
  field: string,
  action: string,
  zeroWhenMissing: boolean,
): number {
  const hit = lookUp(document, path);
  if (!hit.found) {
    if (zeroWhenMissing) return 0;
    throw new DriverError(`${action}: the answer has no "${path}" for ${field}`);
  }
  const number = toNumber(hit.value);
  if (number === undefined) {
    throw new DriverError(
      `${action}: "${path}" (${field}) is ${kindOf(hit.value)}, not a number`,
    );
  }
  return number;
}

function fromText(body: string, pattern: string, field: string, action: string): number {
  const match = new RegExp(pattern).exec(body);
  if (match === null) {
    throw new DriverError(`${action}: the answer does not match /${pattern}/ for ${field}`);
  }
  const captured = match.slice(1).find((group) => group !== undefined);
  const number = toNumber(captured);
  if (number === undefined) {
    throw new DriverError(
      `${action}: /${pattern}/ captured "${captured ?? ""}" for ${field}, not a number`,
    );
  }
  return number;
}

/**
 * Extracts `{voltage, current}` from `body`.
 *
 * @throws {DriverError} naming the field and path when the body does not hold a number there.
 */
export function parseReading(body: string, spec: ParseSpec, action: string): PowerReading {
  let document: unknown;
  if (spec.format === "json" && [spec.voltage, spec.current].some((s) => typeof s === "string")) {
    try {
      document = JSON.parse(body);
    } catch {
      throw new DriverError(`${action}: the answer is not JSON`);
    }
  }
  const value = (field: "voltage" | "current"): number => {
    const source = spec[field];
    if (typeof source === "number") return source;
    return spec.format === "json"
      ? fromJson(document, source, field, action, spec.zeroWhenMissing?.includes(field) ?? false)
      : fromText(body, source, field, action);
  };
  return { voltage: value("voltage"), current: value("current") };
}
