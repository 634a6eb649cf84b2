import { API_VERSION } from "./common.ts";
import { type ClientConfig, clientConfigFromValue } from "./client_config.ts";
import { ConfigError, describeValue } from "./errors.ts";
import type { Env } from "./paths.ts";

/** What errors name in place of a file for values taken from the environment. */
export const ENV_ORIGIN = "environment";

const TRUE_WORDS = new Set(["1", "true", "yes", "on", "t", "y"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", "f", "n", ""]);

function set(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Reads a boolean variable the way upstream's settings do (`1`, `true`, `yes`, `on`, ...). */
export function parseEnvBoolean(env: Env, name: string): boolean | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(`Expected a boolean (true or false), got ${describeValue(value)}`, {
    file: ENV_ORIGIN,
    line: 0,
    column: 0,
    field: name,
  });
}

/**
 * A client config made from `JMP_*` variables, as `jmp shell` passes them to the
 * commands it runs. Only when both `JMP_NAME` and `JMP_NAMESPACE` are set; otherwise
 * `undefined`. Reads `JMP_ENDPOINT`, `JMP_TOKEN`, `JMP_DRIVERS_ALLOW` (comma-separated)
 * and `JMP_DRIVERS_UNSAFE`.
 */
export function clientConfigFromEnv(env: Env): ClientConfig | undefined {
  const name = set(env["JMP_NAME"]);
  const namespace = set(env["JMP_NAMESPACE"]);
  if (name === undefined || namespace === undefined) return undefined;
  return clientConfigFromValue({
    apiVersion: API_VERSION,
    kind: "ClientConfig",
    metadata: { namespace, name },
    endpoint: set(env["JMP_ENDPOINT"]) ?? null,
    token: set(env["JMP_TOKEN"]) ?? null,
    drivers: {
      allow: env["JMP_DRIVERS_ALLOW"] ?? [],
      unsafe: parseEnvBoolean(env, "JMP_DRIVERS_UNSAFE") ?? false,
    },
  }, ENV_ORIGIN);
}
