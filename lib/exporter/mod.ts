/**
 * The exporter side: serve a driver tree as a session, and build the tree from an exporter
 * config with a program's driver registry (see `@jumpstarter/lib/driver`).
 *
 * @module
 */
export { Session, type SessionOptions } from "./session.ts";
export { LogBroker, type LogBrokerOptions, type LogSubscription } from "./log_broker.ts";
export {
  privateSocketPath,
  type ServeOptions,
  serveSession,
  serveSessionTcp,
  type SessionServer,
} from "./server.ts";
export { buildDriverTree, type BuildOptions } from "./tree.ts";
export { type LocalExporter, type LocalExporterOptions, startLocalExporter } from "./local.ts";
export { Exporter, type ExporterOptions } from "./exporter.ts";
export {
  type StandaloneLease,
  type StandaloneOptions,
  startStandaloneLease,
} from "./standalone.ts";
export { closeOnExecAll } from "./close_on_exec.ts";
export { type HookLog, type HookResult, type HookRunOptions, runHook } from "./hooks.ts";
export { type ConfigGrants, configGrants, type DriverGrants } from "./permissions.ts";
export {
  CannotConfineError,
  type Confinement,
  confinementOf,
  exitWithParent,
  isConfined,
  runConfined,
  type RunConfinedOptions,
  shouldConfine,
} from "./confined_exec.ts";
export {
  CONFINED_VARIABLE,
  defaultSocketDir,
  driverRuntimeDir,
  type ServeMode,
  SOCKET_DIR_VARIABLE,
} from "./confined_grants.ts";
export { surviveRefusals } from "./confined_denial.ts";
