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
  JumpstarterError,
  MAX_STATUS_DETAILS,
  MethodNotFoundError,
  MethodNotImplementedError,
  statusToError,
  withoutResolutionNote,
} from "./errors.ts";
