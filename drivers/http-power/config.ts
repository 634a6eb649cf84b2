/**
 * The `config:` map of an HttpPower entry: one request per action, shared auth and timeout, and
 * how a `read` answer becomes a power reading.
 */
import { z } from "zod";

const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** RFC 9110 token: what a header name may consist of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkUrl(text: string, context: z.RefinementCtx): void {
  // Messages never echo the URL: a malformed one may still hold a secret.
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    context.addIssue({ code: "custom", message: "expected an absolute http:// or https:// URL" });
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    context.addIssue({ code: "custom", message: `expected an http:// or https:// URL` });
  } else if (url.username !== "" || url.password !== "") {
    context.addIssue({
      code: "custom",
      message: "credentials in the URL are not allowed: put them under auth",
    });
  }
}

const statusCode = z.number().int().min(100).max(599);

const headerValue = z.string().refine((value) => !/[\r\n\0]/.test(value), {
  message: "a header value cannot contain CR, LF or NUL",
});

function requestShape(defaultMethod: (typeof HTTP_METHODS)[number]) {
  return {
    method: z.string().toUpperCase().pipe(z.enum(HTTP_METHODS)).default(defaultMethod),
    url: z.string().superRefine(checkUrl),
    body: z.string().optional(),
    headers: z.record(
      z.string().regex(HEADER_NAME, { message: "not a valid HTTP header name" }),
      headerValue,
    ).default({}),
    /** Accepted status codes; absent means any 2xx. */
    "expect_status": z.union([statusCode, z.array(statusCode).nonempty()])
      .transform((value) => typeof value === "number" ? [value] : [...value])
      .optional(),
  };
}

function noBodyOnGet(spec: { method: string; body?: string | undefined }): boolean {
  return !(spec.method === "GET" && spec.body !== undefined);
}

const getBodyIssue = { message: "a GET request cannot have a body", path: ["body"] };

/** One HTTP request: `on` and `off` default to POST. */
export const requestSpecSchema = z.object(requestShape("POST")).strict()
  .refine(noBodyOnGet, getBodyIssue);

/** A number taken as is, or where to find it in the answer. */
const readingSource = z.union([z.number(), z.string().min(1)]);

/**
 * How a `read` answer becomes `{voltage, current}`: with `format: json` (the default) each
 * string is a dotted path into the JSON body (`outlets.2.current`, numeric segments index
 * arrays); with `format: text` it is a regular expression whose first capture group is the
 * number. A number is used as is (e.g. a fixed mains voltage).
 */
export const parseSpecSchema = z.object({
  format: z.enum(["json", "text"]).default("json"),
  voltage: readingSource,
  current: readingSource,
}).strict().superRefine((spec, context) => {
  if (spec.format !== "text") return;
  for (const key of ["voltage", "current"] as const) {
    const source = spec[key];
    if (typeof source !== "string") continue;
    let groups: number;
    try {
      groups = (new RegExp(`${source}|`).exec("")?.length ?? 1) - 1;
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: `not a valid regular expression: ${(error as Error).message}`,
        path: [key],
      });
      continue;
    }
    if (groups < 1) {
      context.addIssue({
        code: "custom",
        message: "the regular expression needs a capture group around the number",
        path: [key],
      });
    }
  }
});

/** The `read` request: GET by default, plus how to parse the answer. */
export const readSpecSchema = z.object({ ...requestShape("GET"), parse: parseSpecSchema })
  .strict().refine(noBodyOnGet, getBodyIssue);

/** Credentials sent as the `Authorization` header of every request. */
export const authSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("basic"),
    username: z.string().refine((name) => !name.includes(":"), {
      message: "a basic-auth username cannot contain ':'",
    }),
    password: z.string(),
  }).strict(),
  z.object({ type: z.literal("bearer"), token: z.string().min(1) }).strict(),
]);

/** The whole `config:` map of an HttpPower entry. */
export const httpPowerConfigSchema = z.object({
  on: requestSpecSchema,
  off: requestSpecSchema,
  read: readSpecSchema.optional(),
  auth: authSchema.optional(),
  /** Seconds one request may take, connect to last body byte. */
  timeout: z.number().positive().finite().default(10),
}).strict().superRefine((config, context) => {
  if (config.auth === undefined) return;
  for (const action of ["on", "off", "read"] as const) {
    const headers = config[action]?.headers ?? {};
    if (Object.keys(headers).some((name) => name.toLowerCase() === "authorization")) {
      context.addIssue({
        code: "custom",
        message: "set either auth or an Authorization header, not both",
        path: [action, "headers"],
      });
    }
  }
});

/** Set for upstream's form only, never written in a config. */
interface UpstreamRequestOptions {
  /** Send the body with no implied Content-Type, as Python's `requests` does. */
  untypedBody?: boolean;
}

export type RequestSpec = z.output<typeof requestSpecSchema> & UpstreamRequestOptions;
export type ParseSpec = z.output<typeof parseSpecSchema> & {
  /** Fields that read as 0 when their path is absent (upstream's default keys). */
  zeroWhenMissing?: readonly ("voltage" | "current")[];
};
export type ReadSpec = Omit<z.output<typeof readSpecSchema>, "parse"> & UpstreamRequestOptions & {
  parse: ParseSpec;
};
export type Auth = z.output<typeof authSchema>;
export type HttpPowerConfig =
  & Omit<z.output<typeof httpPowerConfigSchema>, "on" | "off" | "read">
  & {
    on: RequestSpec;
    off: RequestSpec;
    read?: ReadSpec | undefined;
  };
/** What a caller may pass: defaults (method, headers, timeout, parse format) may be left out. */
export type HttpPowerConfigInput = z.input<typeof httpPowerConfigSchema>;
