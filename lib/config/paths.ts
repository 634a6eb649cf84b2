import { basename, join } from "node:path";

/** Environment variables as a plain lookup, so callers and tests can pass their own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** System-wide exporter configs, searched after the user's own. */
export const SYSTEM_EXPORTER_CONFIG_DIR = "/etc/jumpstarter/exporters";

const ENV_NAMES = ["JMP_CLIENT_CONFIG_HOME", "XDG_CONFIG_HOME", "HOME", "USERPROFILE"] as const;

function processEnv(): Env {
  const env: Record<string, string | undefined> = {};
  for (const name of ENV_NAMES) env[name] = Deno.env.get(name);
  return env;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * `$JMP_CLIENT_CONFIG_HOME`, else `$XDG_CONFIG_HOME/jumpstarter`, else
 * `~/.config/jumpstarter`. Empty variables count as unset.
 */
export function configHome(env: Env = processEnv()): string {
  const explicit = nonEmpty(env["JMP_CLIENT_CONFIG_HOME"]);
  if (explicit !== undefined) return explicit;
  const xdg = nonEmpty(env["XDG_CONFIG_HOME"]);
  if (xdg !== undefined) return join(xdg, "jumpstarter");
  const home = nonEmpty(env["HOME"]) ?? nonEmpty(env["USERPROFILE"]);
  if (home === undefined) {
    throw new Error(
      "Cannot find the Jumpstarter config directory: none of JMP_CLIENT_CONFIG_HOME, XDG_CONFIG_HOME or HOME is set",
    );
  }
  return join(home, ".config", "jumpstarter");
}

/** Throws a `TypeError` unless `alias` can name a config file (no separators, no dots). */
export function assertValidAlias(alias: string): void {
  if (alias === "" || /[/\\.\0]/.test(alias)) {
    throw new TypeError(
      `Invalid config alias ${
        JSON.stringify(alias)
      }: it must be non-empty and contain no "/", "\\" or "."`,
    );
  }
}

/** `<home>/clients/<alias>.yaml` */
export function clientConfigPath(alias: string, env: Env = processEnv()): string {
  assertValidAlias(alias);
  return join(configHome(env), "clients", `${alias}.yaml`);
}

/** The user's `<home>/exporters/<alias>.yaml`, then `/etc/jumpstarter/exporters/<alias>.yaml`. */
export function exporterConfigCandidates(alias: string, env: Env = processEnv()): string[] {
  assertValidAlias(alias);
  return [
    join(configHome(env), "exporters", `${alias}.yaml`),
    join(SYSTEM_EXPORTER_CONFIG_DIR, `${alias}.yaml`),
  ];
}

/** `<home>/config.yaml` */
export function userConfigPath(env: Env = processEnv()): string {
  return join(configHome(env), "config.yaml");
}

/** The alias a config file stands for: its base name up to the first dot. */
export function aliasFromPath(path: string): string {
  const name = basename(path);
  const dot = name.indexOf(".");
  return dot === -1 ? name : name.slice(0, dot);
}
