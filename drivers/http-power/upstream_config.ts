/**
 * Upstream's HttpPower config (`jumpstarter_driver_http_power.driver.HttpPower`): `name`,
 * `power_on`/`power_off`/`power_read` as `{url, method, data, voltage_path, current_path}` and
 * `auth.basic.{user, password}`, turned into our own config with upstream's meaning:
 *
 * - `method` defaults to GET for every request;
 * - `data` is sent only with POST, PUT and PATCH, and with no implied Content-Type (as `requests`);
 * - `read` parses JSON: `voltage_path`/`current_path` are dotted paths; without one the top-level
 *   `voltage`/`current` key is read, and a missing one reads as 0.
 */
import { z } from "zod";
import { type HttpPowerConfig, httpPowerConfigSchema, type ReadSpec } from "./config.ts";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

const endpointSchema = z.object({
  url: z.string(),
  method: z.string().default("GET"),
  data: z.string().nullish(),
  "voltage_path": z.string().min(1).nullish(),
  "current_path": z.string().min(1).nullish(),
}).strict();

/** The `config:` map as upstream's HttpPower takes it. */
export const upstreamHttpPowerConfigSchema = z.object({
  /** Only names the device in log messages. */
  name: z.string().default("device"),
  "power_on": endpointSchema,
  "power_off": endpointSchema,
  "power_read": endpointSchema.nullish(),
  auth: z.object({
    basic: z.object({
      user: z.string().default(""),
      password: z.string().default(""),
    }).strict().nullish(),
  }).strict().nullish(),
}).strict();

type Endpoint = z.output<typeof endpointSchema>;

/** Upstream's form is recognised by its request keys. */
export function isUpstreamForm(config: unknown): boolean {
  return typeof config === "object" && config !== null &&
    ["power_on", "power_off", "power_read"].some((key) => Object.hasOwn(config, key));
}

function request(endpoint: Endpoint) {
  const method = endpoint.method.toUpperCase();
  const withBody = METHODS_WITH_BODY.has(method) && endpoint.data != null && endpoint.data !== "";
  return {
    method,
    url: endpoint.url,
    ...(withBody ? { body: endpoint.data } : {}),
  };
}

/**
 * Our config for an upstream-form `config:` map; what is wrong is reported at upstream's keys.
 *
 * @returns the config and the device name, or the issues found.
 */
export function fromUpstreamForm(
  raw: unknown,
): { success: true; config: HttpPowerConfig; name: string } | {
  success: false;
  issues: z.core.$ZodIssue[];
} {
  const parsed = upstreamHttpPowerConfigSchema.safeParse(raw);
  if (!parsed.success) return { success: false, issues: parsed.error.issues };
  const upstream = parsed.data;
  const basic = upstream.auth?.basic;
  const read = upstream.power_read;
  const ours = httpPowerConfigSchema.safeParse({
    on: request(upstream.power_on),
    off: request(upstream.power_off),
    ...(read == null ? {} : {
      read: {
        ...request(read),
        parse: {
          format: "json",
          voltage: read.voltage_path ?? "voltage",
          current: read.current_path ?? "current",
        },
      },
    }),
    ...(basic == null
      ? {}
      : { auth: { type: "basic", username: basic.user, password: basic.password } }),
  });
  if (!ours.success) {
    const renamed: Record<string, string> = {
      on: "power_on",
      off: "power_off",
      read: "power_read",
    };
    return {
      success: false,
      issues: ours.error.issues.map((issue) => ({
        ...issue,
        path: issue.path.map((part) => renamed[String(part)] ?? part),
      })),
    };
  }
  const config: HttpPowerConfig = {
    ...ours.data,
    on: { ...ours.data.on, untypedBody: true },
    off: { ...ours.data.off, untypedBody: true },
    ...(ours.data.read === undefined ? {} : { read: { ...ours.data.read, untypedBody: true } }),
  };
  if (config.read !== undefined && read != null) {
    const zeroWhenMissing: ("voltage" | "current")[] = [];
    if (read.voltage_path == null) zeroWhenMissing.push("voltage");
    if (read.current_path == null) zeroWhenMissing.push("current");
    const withDefaults: ReadSpec = {
      ...config.read,
      parse: { ...config.read.parse, zeroWhenMissing },
    };
    return { success: true, config: { ...config, read: withDefaults }, name: upstream.name };
  }
  return { success: true, config, name: upstream.name };
}
