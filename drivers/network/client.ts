import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import {
  type Forwarder,
  type ForwardOptions,
  forwardTcpListener,
  forwardUnixListener,
  type UnixForwarder,
} from "./forward.ts";
import { addressableNetworkInterface, networkInterface } from "./interface.ts";
import type { NetworkStream } from "./network_stream.ts";

/** Options of {@linkcode NetworkClient.forwardTcp}. */
export interface ForwardTcpOptions extends ForwardOptions {
  /** Local address to listen on (default `127.0.0.1`). */
  address?: string;
  /** Local port to listen on; 0 (the default) lets the system pick one. */
  port?: number;
}

/**
 * Client of any network driver (TcpNetwork, UdpNetwork, UnixNetwork, EchoNetwork...): opens raw
 * connections through the exporter and forwards local ports to them.
 */
export class NetworkClient extends DriverClient {
  /**
   * Opens one connection to the driver's endpoint. Close the writable to end the sending side
   * (the readable then ends when the endpoint ends its side); cancel the readable, call `abort()`
   * or dispose it to drop the connection. For UDP, each chunk written is one datagram.
   * `options.signal` drops it; past `options.timeoutMs` it fails with `DriverTimeoutError`.
   *
   * @throws {ConnectionError} when the exporter cannot reach its endpoint (names it).
   */
  connect(options: CallOptions = {}): Promise<NetworkStream> {
    return this.stream(networkInterface.methods.connect.name, options);
  }

  /**
   * The endpoint's address as the exporter sees it (`tcp://HOST:PORT`, `udp://...`), for
   * connecting to it directly (upstream's `address()`, exporters 0.7.1 and later).
   *
   * @throws {InvalidArgumentError} when the exporter's config sets `enable_address: false`;
   *   {MethodNotFoundError} or {MethodNotImplementedError} from an older exporter.
   */
  async address(options: CallOptions = {}): Promise<string> {
    const address = await this.invoke(addressableNetworkInterface.methods.address, [], options);
    if (typeof address !== "string") {
      throw new TypeError(`address returned ${JSON.stringify(address)}`);
    }
    return address;
  }

  /**
   * Listens on a local TCP port; every accepted connection opens its own `connect` stream.
   *
   * @example Reach a web server next to the device
   * ```ts ignore
   * await using forward = await client.forwardTcp();
   * await fetch(`http://${forward.address}:${forward.port}/`);
   * ```
   */
  forwardTcp(options: ForwardTcpOptions = {}): Promise<Forwarder> {
    const { address = "127.0.0.1", port = 0, ...rest } = options;
    return Promise.resolve().then(() =>
      forwardTcpListener(address, port, () => this.connect(), rest)
    );
  }

  /**
   * Listens on a local Unix socket (a fresh temporary path when `path` is omitted); every
   * accepted connection opens its own `connect` stream.
   */
  forwardUnix(path?: string, options: ForwardOptions = {}): Promise<UnixForwarder> {
    return forwardUnixListener(path, () => this.connect(), options);
  }
}
