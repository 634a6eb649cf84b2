/**
 * The Jumpstarter wire protocol: generated messages and services (`jumpstarter.v1`,
 * `jumpstarter.client.v1`) and the grpc-js glue. Nothing outside this package imports `gen/`.
 *
 * @module
 */
export * from "./gen/jumpstarter/v1/common_pb.ts";
export * from "./gen/jumpstarter/v1/kubernetes_pb.ts";
export * from "./gen/jumpstarter/v1/router_pb.ts";
export * from "./gen/jumpstarter/v1/jumpstarter_pb.ts";
export * from "./gen/jumpstarter/v1/telemetry_pb.ts";
export * as clientV1 from "./gen/jumpstarter/client/v1/client_pb.ts";
export {
  type BidiHandler,
  type CallOptions,
  createClient,
  implement,
  type ImplementOptions,
  methodPath,
  type ServerStreamHandler,
  type ServiceClient,
  serviceDefinition,
  type ServiceHandlers,
  type ServiceMethods,
  type StatusReply,
  type UnaryHandler,
} from "./grpc.ts";
export {
  CHANNEL_WINDOW_OPTIONS,
  channelWindowOptions,
  createServer,
  HTTP2_MAX_FRAME_BYTES,
  HTTP2_WINDOW_BYTES,
} from "./http2_settings.ts";
export { leanUnary } from "./grpc_lean_unary.ts";
export * as adminV1 from "./gen/jumpstarter/admin/v1/admin_pb.ts";
