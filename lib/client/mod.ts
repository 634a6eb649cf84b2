/**
 * The client side: connect to an exporter session, rebuild the client tree from its report,
 * and call drivers through typed clients.
 *
 * @module
 */
export {
  connect,
  type Connection,
  type ConnectOptions,
  type ExporterClient,
  isTcpTarget,
  type RouterClient,
} from "./connection.ts";
export { type CallOptions } from "./call_options.ts";
export {
  type ClientInit,
  type ClientResource,
  DriverClient,
  type InputArgs,
  type ResourceOptions,
  type StreamingMethod,
  type UnaryMethod,
} from "./driver_client.ts";
export {
  type DriverPolicy,
  isAllowed,
  policyFromEnv,
  policyToEnv,
  UNSAFE_POLICY,
} from "./policy.ts";
export { type ClientClass, ClientRegistry, clientRegistryOf } from "./registry.ts";
export { buildClientTree, type ClientTreeOptions, FallbackDriverClient } from "./tree.ts";
export {
  env,
  type ExporterHandle,
  MissingHostError,
  openExporter,
  type OpenOptions,
} from "./open.ts";
export { CompositeClient } from "./composite_client.ts";
export {
  clientIdentity,
  type ClientServiceClient,
  connectController,
  controllerCall,
  controllerChannel,
  type ControllerConnection,
  type ControllerIdentity,
  type ControllerServiceClient,
} from "@jumpstarter/lib/controller_api";
export {
  bareName,
  conditionOf,
  createLease,
  dialWithRetry,
  ESTIMATED_WAIT_KEY,
  getLease,
  isTransient,
  type Lease,
  LeaseError,
  type LeaseRequest,
  leaseResourceName,
  type LeaseSocketOptions,
  listLeases,
  type ListLeasesOptions,
  openLeaseSocket,
  QUEUE_POSITION_KEY,
  queueInfo,
  releaseLease,
  waitForLease,
  type WaitOptions,
} from "./lease.ts";
export { type DriverStream, openDriverStream } from "./driver_stream.ts";
export { parseSeconds, secondsArg, type SecondsOptions } from "./cli_args.ts";
export { type ExitCodeSink, withExitCode } from "./cli_exit.ts";
