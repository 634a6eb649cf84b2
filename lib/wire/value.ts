/**
 * The `google.protobuf.Value` codec used for driver-call arguments and results. Values travel as
 * JSON does upstream (pydantic JSON mode): numbers are doubles, bytes are UTF-8 text, dates are
 * ISO-8601 strings, maps and objects are structs.
 */
import type {
  ListValue,
  Struct,
  /** @ignore protobuf-es's message type, documented there (re-exporting it would lint protobuf-es) */
  Value,
} from "@bufbuild/protobuf/wkt";

/** A value that survives the trip through `google.protobuf.Value` unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

const utf8 = new TextDecoder("utf-8", { fatal: true });

// Messages are plain objects in protobuf-es; building them directly skips `create()`'s
// reflection, which dominated the cost of encoding large arguments.
function value(kind: Value["kind"]): Value {
  return { $typeName: "google.protobuf.Value", kind };
}

function listValue(values: Value[]): ListValue {
  return { $typeName: "google.protobuf.ListValue", values };
}

// Plain assignment would treat a "__proto__" key as the prototype, not as data
function setField<T>(target: Record<string, T>, key: string, item: T): void {
  Object.defineProperty(target, key, {
    value: item,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function struct(fields: Record<string, Value>): Struct {
  return { $typeName: "google.protobuf.Struct", fields };
}

function encodeNumber(value: number): Value["kind"] {
  if (Number.isNaN(value)) return { case: "nullValue", value: 0 };
  if (!Number.isFinite(value)) {
    throw new RangeError(
      `Cannot encode ${value} as a protobuf Value: infinities have no JSON form`,
    );
  }
  return { case: "numberValue", value };
}

function encodeKind(input: unknown, seen: Set<object>): Value["kind"] {
  if (input === null || input === undefined) return { case: "nullValue", value: 0 };
  switch (typeof input) {
    case "boolean":
      return { case: "boolValue", value: input };
    case "number":
      return encodeNumber(input);
    case "bigint":
      return encodeNumber(Number(input));
    case "string":
      return { case: "stringValue", value: input };
    case "object":
      break;
    default:
      throw new TypeError(`Cannot encode a ${typeof input} as a protobuf Value`);
  }
  if (input instanceof Uint8Array) {
    try {
      return { case: "stringValue", value: utf8.decode(input) };
    } catch {
      throw new TypeError("Cannot encode bytes as a protobuf Value: they are not valid UTF-8");
    }
  }
  if (input instanceof Date) return { case: "stringValue", value: input.toISOString() };
  if (seen.has(input)) throw new TypeError("Cannot encode a cyclic structure as a protobuf Value");
  seen.add(input);
  try {
    if (Array.isArray(input) || input instanceof Set) {
      const values = [...input].map((item) => value(encodeKind(item, seen)));
      return { case: "listValue", value: listValue(values) };
    }
    const toJSON = (input as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return encodeKind(toJSON.call(input), seen);
    const entries = input instanceof Map ? [...input] : Object.entries(input);
    const fields: Record<string, Value> = {};
    for (const [key, item] of entries) {
      if (item === undefined) continue;
      setField(fields, String(key), value(encodeKind(item, seen)));
    }
    return { case: "structValue", value: struct(fields) };
  } finally {
    seen.delete(input);
  }
}

/**
 * Encodes a JavaScript value as a protobuf `Value`, the way upstream serialises driver-call
 * arguments and results.
 *
 * @throws {TypeError} for functions, symbols, cycles and bytes that are not UTF-8.
 * @throws {RangeError} for infinite numbers.
 */
export function toValue(input: unknown): Value {
  return value(encodeKind(input, new Set()));
}

/** Decodes a protobuf `Value` into plain JSON data; an unset value decodes as `null`. */
export function fromValue(value: Value | undefined): JsonValue {
  const kind = value?.kind;
  switch (kind?.case) {
    case undefined:
    case "nullValue":
      return null;
    case "boolValue":
    case "numberValue":
    case "stringValue":
      return kind.value;
    case "listValue":
      return kind.value.values.map(fromValue);
    case "structValue": {
      const out: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(kind.value.fields)) {
        setField(out, key, fromValue(item));
      }
      return out;
    }
  }
}
