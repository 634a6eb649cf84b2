/**
 * Wire-level helpers: the `google.protobuf.Value` codec and the error <-> gRPC status mapping.
 *
 * @module
 */
export { fromValue, type JsonValue, toValue } from "./value.ts";
export { AuthFailureThrottle, type AuthFailureThrottleOptions, peerHost } from "./auth_throttle.ts";
export {
  Code,
  ConnectionError,
  DriverError,
  DriverTimeoutError,
  errorToStatus,
  ExporterNotReadyError,
  InvalidArgumentError,
  isConnectionLoss,
  JumpstarterError,
  MAX_STATUS_DETAILS,
  MethodNotFoundError,
  MethodNotImplementedError,
  statusToError,
  withoutResolutionNote,
} from "./errors.ts";
export {
  ESTIMATED_WAIT_KEY,
  INSTANCE_METADATA_KEY,
  KIND_METADATA_KEY,
  NAME_METADATA_KEY,
  NAMESPACE_METADATA_KEY,
  PASSPHRASE_METADATA_KEY,
  QUEUE_POSITION_KEY,
  WAITER_METADATA_KEY,
} from "./metadata_keys.ts";
