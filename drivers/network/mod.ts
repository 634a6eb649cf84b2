/**
 * Network endpoints as byte streams: the NetworkInterface contract, the client (raw connections
 * and local TCP/Unix port forwarding) and its CLI. Exporter-side drivers (TcpNetwork,
 * UdpNetwork, UnixNetwork, EchoNetwork) are in `./driver`.
 *
 * @module
 */
export { networkInterface } from "./interface.ts";
export { type ForwardTcpOptions, NetworkClient } from "./client.ts";
export { type NetworkStream } from "./network_stream.ts";
export {
  type Forwarder,
  type ForwarderBase,
  type ForwardOptions,
  type UnixForwarder,
} from "./forward.ts";
export { networkCli, type NetworkCliIo } from "./cli.ts";
