/**
 * The `config:` map of a TasmotaPower entry: upstream's constructor keywords, plus a few
 * optional extensions (`tele_topic`, `ca_file`, `read_interval`).
 */
import { z } from "zod";

/** Seconds we wait for a plug when the config does not say (upstream waits without limit). */
export const DEFAULT_TIMEOUT = 10;

const topic = z.string().min(1).refine((value) => !/[+#]/.test(value), {
  message: "must be a plain MQTT topic, without the + or # wildcards",
});

export const tasmotaConfigSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(1883),
  tls: z.boolean().default(true),
  "client_id": z.string().min(1).nullable().optional(),
  transport: z.enum(["tcp", "websockets", "unix"]).default("tcp"),
  /** Seconds to wait for the broker and the plug; `null` waits for the plug without limit. */
  timeout: z.number().positive().nullable().default(DEFAULT_TIMEOUT),
  username: z.string().nullable().optional(),
  password: z.string().nullable().optional(),
  "cmnd_topic": topic,
  "stat_topic": topic,
  /** Where the plug publishes telemetry; derived from `cmnd_topic` when it has a `cmnd` level. */
  "tele_topic": topic.optional(),
  /** PEM file of the CA that signed the broker's certificate (instead of the default roots). */
  "ca_file": z.string().min(1).optional(),
  /** Seconds between energy polls while `read` streams. */
  "read_interval": z.number().positive().default(1),
}).strict().refine((config) => !(config.transport === "unix" && config.tls), {
  message: "TLS over a unix socket is not supported: set tls: false with transport: unix",
  path: ["tls"],
});

export type TasmotaConfig = z.output<typeof tasmotaConfigSchema>;
