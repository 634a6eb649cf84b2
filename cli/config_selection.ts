/**
 * Which client config a client command uses (spec/cli.md section 5.4):
 *
 * 1. `--client ALIAS` or `--client-config PATH` (giving more than one is a usage error);
 * 2. else an env-only client, when `JMP_NAME` and `JMP_NAMESPACE` are both set;
 * 3. else the user config's `current-client`;
 * 4. else an error.
 *
 * Environment variables never patch a config read from a file.
 */
import type { Command } from "commander";
import {
  assertValidAlias,
  type ClientConfig,
  clientConfigFromEnv,
  clientConfigPath,
  currentClientAlias,
  type Env,
  loadClientConfig,
  pathExists,
} from "@jumpstarter/lib/config";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import { UsageError } from "./errors.ts";

/** The client selector flags, as commander parses them. */
export interface ClientSelector {
  client?: string | undefined;
  clientConfig?: string | undefined;
}

/** Options of {@linkcode resolveClientConfig}. */
export interface ClientSelectionOptions {
  /** Variables to read in place of the process environment. */
  env?: Env;
  /**
   * Further selector flags the command takes (e.g. `--exporter`), named in the error messages
   * after the client ones, as upstream does for `jmp shell`. The caller checks them.
   */
  otherSelectors?: readonly string[];
  /** Number of those further selectors given; counted against "only one". */
  otherSelectorsGiven?: number;
}

/** Adds `--client ALIAS` and `--client-config PATH` to `command`. */
export function addClientSelectorOptions<T extends Command>(command: T): T {
  command
    .option("--client <alias>", "use the client config <home>/clients/ALIAS.yaml")
    .option("--client-config <path>", "use the client config in this file");
  return command;
}

/** Checks that `alias` can name a config file; a usage error naming `option` otherwise. */
export function validAlias(alias: string, option: string): string {
  try {
    assertValidAlias(alias);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new UsageError(`Invalid value for '${option}': ${detail}`);
  }
  return alias;
}

/** Loads `<home>/clients/ALIAS.yaml`; a missing file is reported the way upstream does. */
export async function loadClientConfigByAlias(alias: string, env: Env): Promise<ClientConfig> {
  const path = clientConfigPath(alias, env);
  if (!(await pathExists(path))) {
    throw new JumpstarterError(`Client config '${path}' does not exist.`);
  }
  return await loadClientConfig(path);
}

/**
 * The client config the flags, the environment and the user config select, in that order.
 *
 * @throws {UsageError} when more than one selector is given or an alias is malformed.
 * @throws {JumpstarterError} when nothing selects a config or the selected file is missing.
 * @throws {ConfigError} when the selected file is invalid.
 */
export async function resolveClientConfig(
  flags: ClientSelector,
  options: ClientSelectionOptions = {},
): Promise<ClientConfig> {
  const env = options.env ?? Deno.env.toObject();
  const names = ["--client", "--client-config", ...(options.otherSelectors ?? [])].join(", ");
  const given = (flags.client !== undefined ? 1 : 0) + (flags.clientConfig !== undefined ? 1 : 0) +
    (options.otherSelectorsGiven ?? 0);
  if (given > 1) throw new UsageError(`only one of ${names} should be specified`);

  if (flags.client !== undefined) {
    return await loadClientConfigByAlias(validAlias(flags.client, "--client"), env);
  }
  if (flags.clientConfig !== undefined) return await loadClientConfig(flags.clientConfig);

  const fromEnv = clientConfigFromEnv(env);
  if (fromEnv !== undefined) return fromEnv;

  const current = await currentClientAlias(env);
  if (current !== null) return await loadClientConfig(clientConfigPath(current, env));

  throw new JumpstarterError(`none of ${names} is specified, and default config is not set`);
}
