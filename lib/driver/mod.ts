/**
 * The driver framework: the Driver base, interfaces with explicit method descriptors, logging and
 * the report.
 *
 * @module
 */
export { Driver, type DriverOptions, uniqueDrivers } from "./driver.ts";
export {
  type BoundImplementations,
  type CamelCase,
  defineInterface,
  type DriverInterface,
  type ExportedMethod,
  exportMethods,
  type Implementation,
  type Implementations,
  type MethodTable,
  type NamedMethod,
  type NamedMethods,
} from "./interface.ts";
export {
  type ArgSchemas,
  type ArgsOf,
  byteStream,
  type MethodDescriptor,
  type MethodKind,
  type MethodOptions,
  parseArguments,
  streaming,
  unary,
} from "./method.ts";
export { Logger, type LogRecord, type LogSink, type Severity } from "./logger.ts";
export { buildReport, CLIENT_LABEL, type DriverReport, NAME_LABEL } from "./report.ts";
export { openResource, type PendingResource, type Resource, ResourceTable } from "./resource.ts";
export type { ByteStream } from "@jumpstarter/lib/streams";
export { Composite, compositeInterface } from "./composite.ts";
export { compositeType, defineDriverType, DriverRegistry, type DriverType } from "./registry.ts";
export {
  type CliBuilderLike,
  cliBuilderOf,
  type ClientClassLike,
  clientEntriesOf,
  type ClientEntry,
  definePackage,
  type DriverPackage,
  driverRegistryOf,
  grantsOfType,
} from "./package.ts";
export {
  describeGrants,
  grantFlags,
  type Grants,
  type GrantsContext,
  type GrantsOf,
  mergeGrants,
  netAddress,
  onlyWithAll,
  openedByDeno,
  PERMISSION_NAMES,
  type PermissionName,
  servedRoot,
  servedRootGrants,
  tempDirectory,
  throughLibc,
  throwIfRefused,
  unixSocketGrants,
  urlNetAddress,
} from "./permissions.ts";
export { claimRuntimeDir, type RuntimeDir } from "./runtime_dir.ts";
