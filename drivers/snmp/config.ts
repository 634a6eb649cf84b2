/**
 * The `config:` map of an SNMPServer entry: upstream's constructor keywords plus our extensions
 * (`version`, `community`, `on_value`, `off_value`), and the SNMPv3 security-level rules.
 */
import { z } from "zod";

/** Raritan PDU2 `outletSwitchingState`: upstream's default outlet column. */
export const RARITAN_OUTLET_OID = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1";

const upper = (value: unknown) => typeof value === "string" ? value.toUpperCase() : value;
const optionalKey = z.string().min(1).nullable().default(null);

/** YAML reads `version: 3` as a number and `version: 2c` as a string; both are accepted. */
const version = z.preprocess(
  (value) => typeof value === "number" ? String(value) : value,
  z.enum(["1", "2c", "3"], { error: 'version must be "1", "2c" or "3"' }),
);

export const snmpConfigSchema = z.object({
  host: z.string().min(1, "host must name the PDU (hostname or IPv4 address)"),
  user: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).default(161),
  plug: z.number().int().min(0),
  oid: z.string()
    .regex(/^\.?\d+(\.\d+)+$/, "oid must be a numeric OID such as 1.3.6.1.4.1.13742.6.4.1.2.1.2.1")
    .transform((oid) => oid.replace(/^\./, ""))
    .default(RARITAN_OUTLET_OID),
  "auth_protocol": z.preprocess(
    upper,
    z.enum(["NONE", "MD5", "SHA"], { error: "auth_protocol must be NONE, MD5 or SHA" }),
  ).default("NONE"),
  "auth_key": optionalKey,
  "priv_protocol": z.preprocess(
    upper,
    z.enum(["NONE", "DES", "AES"], { error: "priv_protocol must be NONE, DES or AES" }),
  ).default("NONE"),
  "priv_key": optionalKey,
  timeout: z.number().positive().default(5.0),
  version: version.default("3"),
  community: z.string().min(1).default("private"),
  "on_value": z.number().int().default(1),
  "off_value": z.number().int().default(0),
}).strict().superRefine((config, context) => {
  const fail = (message: string, path: string) =>
    context.addIssue({ code: "custom", message, path: [path] });
  if (config.on_value === config.off_value) {
    fail(`on_value and off_value must differ (both are ${config.on_value})`, "on_value");
  }
  if (config.version !== "3") return;
  if (config.user === undefined) fail("user is required for SNMPv3 (version 3)", "user");
  // Upstream ignores priv_protocol when auth_protocol is NONE; the driver warns about it.
  if (config.auth_protocol === "NONE") return;
  if (config.auth_key === null) {
    fail(`auth_key is required when auth_protocol is ${config.auth_protocol}`, "auth_key");
  }
  if (config.priv_protocol !== "NONE" && config.priv_key === null) {
    fail(`priv_key is required when priv_protocol is ${config.priv_protocol}`, "priv_key");
  }
});

/** A validated SNMPServer config. */
export type SnmpConfig = z.output<typeof snmpConfigSchema>;

/** The configuration a caller may write (defaults filled in by the schema). */
export type SnmpConfigInput = z.input<typeof snmpConfigSchema>;

/** The SNMPv3 USM security level a config asks for. */
export type SecurityLevel = "noAuthNoPriv" | "authNoPriv" | "authPriv";

/** Upstream's rule: no auth → noAuthNoPriv; auth without privacy → authNoPriv; else authPriv. */
export function securityLevel(config: SnmpConfig): SecurityLevel {
  if (config.auth_protocol === "NONE") return "noAuthNoPriv";
  return config.priv_protocol === "NONE" ? "authNoPriv" : "authPriv";
}
