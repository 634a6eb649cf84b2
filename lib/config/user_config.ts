import { stringify } from "yaml";
import { z } from "zod";
import { API_VERSION } from "./common.ts";
import { readConfigText, writeFileAtomic } from "./config_file.ts";
import { validateDetached, validateSource } from "./validate.ts";
import { YamlSource } from "./yaml_source.ts";

/** Per-user settings, kept in `<config home>/config.yaml`. */
export interface UserConfig {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: "UserConfig";
  readonly config: {
    /** Alias of the client config used when none is named. */
    readonly "current-client": string | null;
  };
}

// Unknown keys are ignored, as upstream does.
const userSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("UserConfig"),
  config: z.object({ "current-client": z.string().nullable().default(null) }).prefault({}),
});

/** A user config with no current client. */
export function defaultUserConfig(): UserConfig {
  return { apiVersion: API_VERSION, kind: "UserConfig", config: { "current-client": null } };
}

/** Parses and validates user config text; `file` names it in errors. */
export function parseUserConfig(text: string, file: string): UserConfig {
  const source = YamlSource.parse(text, file);
  return validateSource(userSchema, source.toJS(), source);
}

/** Reads and parses a user config file. */
export async function loadUserConfig(path: string): Promise<UserConfig> {
  return parseUserConfig(await readConfigText(path), path);
}

/** Validates and writes `config` to `path` atomically, readable only by the owner. */
export async function saveUserConfig(config: UserConfig, path: string): Promise<void> {
  const document: UserConfig = {
    apiVersion: config.apiVersion,
    kind: config.kind,
    config: { "current-client": config.config["current-client"] },
  };
  validateDetached(userSchema, document, path);
  await writeFileAtomic(path, stringify(document, { lineWidth: 0 }));
}
