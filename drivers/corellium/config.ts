/** The `config:` map of a Corellium entry (upstream's fields) and the environment it reads. */
import { z } from "zod";

export const corelliumConfigSchema = z.object({
  /** Project id or name. */
  "project_id": z.string().min(1),
  /** Instance name. */
  "device_name": z.string().min(1),
  /** Model name, e.g. `kronos`. */
  "device_flavor": z.string().min(1),
  "device_os": z.string().default("1.1.1"),
  "device_build": z.string().default(
    "Critical Application Monitor (Baremetal)",
  ),
  "console_name": z.string().default("Primary Compute Non-Secure"),
}).strict();

export type CorelliumConfig = z.output<typeof corelliumConfigSchema>;

/** Looks up an environment variable: `Deno.env.get` in a program, a map in tests. */
export type Getenv = (name: string) => string | undefined;

export const processEnv: Getenv = (name) => Deno.env.get(name);

/** What the driver takes from the environment, as upstream (plus an optional CA file). */
export interface CorelliumEnvironment {
  host: string;
  token: string;
  /** `CORELLIUM_API_CA_FILE` (ours): PEM file of a CA trusted for the API host. */
  caFile: string | undefined;
}

/** Reads a variable that must be set and not blank (trimmed), as upstream's `get_env_var`. */
export function requiredEnv(name: string, getenv: Getenv = processEnv): string {
  const value = getenv(name);
  if (value === undefined) {
    throw new Error(`Missing "${name}" environment variable`);
  }
  const trimmed = value.trim();
  if (trimmed === "") {
    throw new Error(`"${name}" environment variable is empty`);
  }
  return trimmed;
}

export function corelliumEnvironment(getenv: Getenv = processEnv): CorelliumEnvironment {
  const caFile = getenv("CORELLIUM_API_CA_FILE")?.trim();
  return {
    host: requiredEnv("CORELLIUM_API_HOST", getenv),
    token: requiredEnv("CORELLIUM_API_TOKEN", getenv),
    caFile: caFile === "" ? undefined : caFile,
  };
}

/** How long power calls wait for an instance: retries × interval seconds (upstream: 12 × 5). */
export function waitOptions(getenv: Getenv = processEnv): { retries: number; interval: number } {
  const retries = Number(getenv("CORELLIUM_API_RETRIES") ?? 12);
  const interval = Number(getenv("CORELLIUM_API_INTERVAL") ?? 5);
  if (!Number.isInteger(retries) || retries < 1) {
    throw new Error(
      `CORELLIUM_API_RETRIES must be a positive whole number, not "${retries}"`,
    );
  }
  if (!Number.isFinite(interval) || interval < 0) {
    throw new Error(
      `CORELLIUM_API_INTERVAL must be a number of seconds, not "${interval}"`,
    );
  }
  return { retries, interval };
}
