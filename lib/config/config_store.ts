import { join } from "node:path";
import { stringify } from "yaml";
import { API_VERSION } from "./common.ts";
import { writeFileAtomic } from "./config_file.ts";
import { ConfigError } from "./errors.ts";
import { parseExporterConfig } from "./exporter_config.ts";
import {
  aliasFromPath,
  assertValidAlias,
  configHome,
  type Env,
  SYSTEM_EXPORTER_CONFIG_DIR,
  userConfigPath,
} from "./paths.ts";
import {
  defaultUserConfig,
  loadUserConfig,
  saveUserConfig,
  type UserConfig,
} from "./user_config.ts";

/** A config file found in a config directory. */
export interface ConfigFileEntry {
  /** The file's base name up to its first dot. */
  readonly alias: string;
  readonly path: string;
}

function currentEnv(): Env {
  return Deno.env.toObject();
}

/** Whether `path` exists (following symlinks). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The `*.yaml` files of `dir`, sorted by file name; none when `dir` does not exist. */
async function yamlFiles(dir: string): Promise<ConfigFileEntry[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if ((entry.isFile || entry.isSymlink) && entry.name.endsWith(".yaml")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  names.sort();
  return names.map((name) => ({ alias: aliasFromPath(name), path: join(dir, name) }));
}

/** `<home>/clients` */
export function clientConfigDir(env: Env = currentEnv()): string {
  return join(configHome(env), "clients");
}

/** `<home>/exporters`, where exporter configs are written. */
export function userExporterConfigDir(env: Env = currentEnv()): string {
  return join(configHome(env), "exporters");
}

/** The client configs in `<home>/clients`, in file-name order. */
export function listClientConfigFiles(env: Env = currentEnv()): Promise<ConfigFileEntry[]> {
  return yamlFiles(clientConfigDir(env));
}

/**
 * The exporter configs in `<home>/exporters` and `systemDir`, by alias; where both hold the
 * same alias, the user's file wins.
 */
export async function listExporterConfigFiles(
  env: Env = currentEnv(),
  systemDir: string = SYSTEM_EXPORTER_CONFIG_DIR,
): Promise<ConfigFileEntry[]> {
  const byAlias = new Map<string, ConfigFileEntry>();
  for (const entry of await yamlFiles(systemDir)) byAlias.set(entry.alias, entry);
  for (const entry of await yamlFiles(userExporterConfigDir(env))) byAlias.set(entry.alias, entry);
  return [...byAlias.values()].sort((a, b) => a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0);
}

/** The user config, or a default one (no current client) when `<home>/config.yaml` is missing. */
export async function loadUserConfigOrDefault(env: Env = currentEnv()): Promise<UserConfig> {
  try {
    return await loadUserConfig(userConfigPath(env));
  } catch (error) {
    if (error instanceof ConfigError && error.cause instanceof Deno.errors.NotFound) {
      return defaultUserConfig();
    }
    throw error;
  }
}

/**
 * The alias of the current client config: the user config's `current-client`, or null when it
 * is unset or names no file in `<home>/clients`.
 */
export async function currentClientAlias(env: Env = currentEnv()): Promise<string | null> {
  const alias = (await loadUserConfigOrDefault(env)).config["current-client"];
  if (alias === null) return null;
  try {
    assertValidAlias(alias);
  } catch {
    return null;
  }
  return await pathExists(join(clientConfigDir(env), `${alias}.yaml`)) ? alias : null;
}

/** Writes `alias` (or no client) as the user config's `current-client`, creating the file. */
export async function setCurrentClient(
  alias: string | null,
  env: Env = currentEnv(),
): Promise<void> {
  const user = await loadUserConfigOrDefault(env);
  await saveUserConfig(
    { ...user, config: { ...user.config, "current-client": alias } },
    userConfigPath(env),
  );
}

/** What `jmp config exporter create` asks for. */
export interface NewExporterConfig {
  readonly namespace: string;
  readonly name: string;
  readonly endpoint: string | null;
  readonly token: string | null;
  readonly insecure: boolean;
  /** Base64 PEM of the controller's CA, when it is not publicly trusted. */
  readonly ca?: string;
  /** gRPC channel options (`grpcOptions`). */
  readonly grpcOptions?: Readonly<Record<string, string | number>>;
}

/** The YAML of a new exporter config with an empty driver tree (`export: {}`). */
export function stringifyNewExporterConfig(config: NewExporterConfig): string {
  const document = {
    apiVersion: API_VERSION,
    kind: "ExporterConfig",
    metadata: { namespace: config.namespace, name: config.name },
    endpoint: config.endpoint,
    tls: { ca: config.ca ?? "", insecure: config.insecure },
    token: config.token,
    grpcOptions: { ...config.grpcOptions },
    export: {},
  };
  return stringify(document, { lineWidth: 0 });
}

/**
 * Validates and writes a new exporter config to `path` atomically, readable only by the owner.
 */
export async function saveNewExporterConfig(
  config: NewExporterConfig,
  path: string,
): Promise<void> {
  const text = stringifyNewExporterConfig(config);
  parseExporterConfig(text, path);
  await writeFileAtomic(path, text);
}
