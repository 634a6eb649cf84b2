/**
 * Jumpstarter configuration files: where they live, how they parse, and how the
 * client config is written back. Every problem is a {@link ConfigError} that names
 * the file, line, column and field.
 *
 * @module
 */

export { API_VERSION } from "./common.ts";
export type { ApiVersion, GrpcOptions, TlsConfig } from "./common.ts";
export { ConfigError, formatConfigErrorMessage, formatField } from "./errors.ts";
export type { ConfigErrorLocation } from "./errors.ts";
export {
  aliasFromPath,
  assertValidAlias,
  clientConfigPath,
  configHome,
  exporterConfigCandidates,
  SYSTEM_EXPORTER_CONFIG_DIR,
  userConfigPath,
} from "./paths.ts";
export type { Env } from "./paths.ts";
export { formatSourceLocation, YamlSource } from "./yaml_source.ts";
export { validateSource } from "./validate.ts";
export type { SourceLocation } from "./yaml_source.ts";
export { loadExporterConfig, parseExporterConfig } from "./exporter_config.ts";
export type {
  DriverInstance,
  DriverInstanceComposite,
  DriverInstanceDriver,
  DriverInstanceProxy,
  ExporterConfig,
  ExporterHooks,
  FailureDetection,
  HookFailureMode,
  HookInstance,
  LogLevel,
} from "./exporter_config.ts";
export {
  clientConfigFromValue,
  loadClientConfig,
  parseClientConfig,
  saveClientConfig,
  stringifyClientConfig,
} from "./client_config.ts";
export type {
  ClientConfig,
  ClientConfigDocument,
  ClientDriversConfig,
  ClientLeasesConfig,
  ClientShellConfig,
} from "./client_config.ts";
export { clientConfigFromEnv, ENV_ORIGIN, parseEnvBoolean } from "./env.ts";
export {
  defaultUserConfig,
  loadUserConfig,
  parseUserConfig,
  saveUserConfig,
} from "./user_config.ts";
export type { UserConfig } from "./user_config.ts";
export {
  clientConfigDir,
  currentClientAlias,
  listClientConfigFiles,
  listExporterConfigFiles,
  loadUserConfigOrDefault,
  pathExists,
  saveNewExporterConfig,
  setCurrentClient,
  stringifyNewExporterConfig,
  userExporterConfigDir,
} from "./config_store.ts";
export type { ConfigFileEntry, NewExporterConfig } from "./config_store.ts";
export { formatHostPort, type HostPort, parseHostPort } from "./host_port.ts";
export { type GrpcTarget, parseGrpcTarget, targetAddresses } from "./grpc_target.ts";
