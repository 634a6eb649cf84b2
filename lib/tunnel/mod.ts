/**
 * Tunnels through a router: TLS to controllers and routers, router stream ends, the client's
 * lease socket and the exporter's per-ticket bridge.
 *
 * @module
 */
export {
  channelCredentials,
  fetchCertificateChain,
  readCaBundle,
  readServerIdentity,
  replicaChannelOptions,
  speaksTls,
  sslCredentials,
  TARGET_NAME_OPTION,
  TlsMaterialError,
  type TlsOptions,
} from "./tls.ts";
export { bridge, type RouterChannelOptions, RouterChannels } from "./router_stream.ts";
export {
  type LeaseListenerOptions,
  listenForLease,
  type RouterTicket,
  serveTicket,
  type TunnelListener,
} from "./listener.ts";
export { serveTlsFront, type TlsFront, type TlsFrontOptions } from "./tls_front.ts";
