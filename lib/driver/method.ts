/**
 * Explicit method descriptors: what a driver interface exports, with which call kind and which
 * arguments. The exporter only dispatches to methods declared here.
 */
import {
  /** @ignore zod's namespace, documented by zod (re-exporting its types would lint zod's declarations) */
  z,
} from "zod";

/** How a method is reached: `DriverCall`, `StreamingDriverCall`, or a `RouterService.Stream`. */
export type MethodKind = "unary" | "server_streaming" | "byte_stream";

/** Positional argument schemas of a method (trailing ones may be `.optional()`). */
export type ArgSchemas = readonly [] | readonly [z.ZodType, ...z.ZodType[]];

/** The declared shape of one exported method. */
export interface MethodDescriptor<
  A extends ArgSchemas = ArgSchemas,
  K extends MethodKind = MethodKind,
> {
  /** Which gRPC call reaches the method. */
  readonly kind: K;
  /** Schemas of the positional arguments; the exporter validates each call against them. */
  readonly args: A;
  /** One-line help, reported in `methods_description` (shown by `j ... --help` upstream). */
  readonly description?: string;
}

/** The argument tuple a method's implementation receives. */
export type ArgsOf<A extends ArgSchemas> = { [I in keyof A]: z.output<A[I]> };

/** Options shared by the descriptor factories. */
export interface MethodOptions {
  /** The method's one-line help, reported in the driver's `methods_description`. */
  description?: string;
}

function descriptor<A extends ArgSchemas, K extends MethodKind>(
  kind: K,
  args: A,
  options: MethodOptions,
): MethodDescriptor<A, K> {
  return options.description === undefined
    ? { kind, args }
    : { kind, args, description: options.description };
}

/** Declares a unary method (`DriverCall`): positional args in, one value out. */
export function unary<const A extends ArgSchemas = []>(
  args?: A,
  options: MethodOptions = {},
): MethodDescriptor<A, "unary"> {
  return descriptor("unary", args ?? ([] as unknown as A), options);
}

/** Declares a server-streaming method (`StreamingDriverCall`): each yielded item is sent. */
export function streaming<const A extends ArgSchemas = []>(
  args?: A,
  options: MethodOptions = {},
): MethodDescriptor<A, "server_streaming"> {
  return descriptor("server_streaming", args ?? ([] as unknown as A), options);
}

/** Declares a byte-stream method (`RouterService.Stream`, kind `driver`); it takes no arguments. */
export function byteStream(options: MethodOptions = {}): MethodDescriptor<[], "byte_stream"> {
  return descriptor("byte_stream", [], options);
}

function argumentCount(args: ArgSchemas): { min: number; max: number } {
  let min = 0;
  args.forEach((schema, index) => {
    if (!schema.safeParse(undefined).success) min = index + 1;
  });
  return { min, max: args.length };
}

/**
 * Validates wire arguments against a descriptor and returns them parsed.
 *
 * @throws {TypeError} naming the method, the argument position and what was wrong.
 */
export function parseArguments(
  name: string,
  method: MethodDescriptor,
  args: readonly unknown[],
): unknown[] {
  const { min, max } = argumentCount(method.args);
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${max}` : `${min} to ${max}`;
    throw new TypeError(
      `Cannot call "${name}": expected ${expected} argument(s), got ${args.length}`,
    );
  }
  return method.args.map((schema, index) => {
    const result = schema.safeParse(args[index]);
    if (result.success) return result.data;
    const reason = result.error.issues.map((issue) => {
      const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
      return `${issue.message}${where}`;
    }).join("; ");
    throw new TypeError(`Cannot call "${name}": argument ${index + 1} is invalid: ${reason}`);
  });
}
