/**
 * Validation of the environment a caller adds to a script: names must be plain identifiers and
 * may not be ones that change what runs (loader, search path, shell startup, exported bash
 * functions), as upstream.
 */
import { InvalidArgumentError } from "@jumpstarter/lib/wire";

const BLOCKED = new Set([
  "LD_PRELOAD",
  "LD_LIBRARY_PATH",
  "PATH",
  "PYTHONPATH",
  "BASH_ENV",
  "ENV",
  "SHELLOPTS",
  "BASHOPTS",
  "PS4",
  "IFS",
  "KUBECONFIG",
  "HOME",
]);

const BLOCKED_PREFIXES = ["LD_", "BASH_FUNC_"];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks caller-supplied variables.
 *
 * @throws {InvalidArgumentError} naming the first refused variable.
 */
export function checkEnv(env: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(env)) {
    if (!IDENTIFIER.test(name)) {
      throw new InvalidArgumentError(`Invalid environment variable name: ${JSON.stringify(name)}`);
    }
    if (BLOCKED.has(name) || BLOCKED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      throw new InvalidArgumentError(
        `Environment variable '${name}' is blocked for security reasons`,
      );
    }
    if (value.includes("\0")) {
      throw new InvalidArgumentError(`Environment variable '${name}' contains a NUL byte`);
    }
  }
  return env;
}
