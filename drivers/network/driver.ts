/**
 * Exporter-side network drivers: each exports one byte stream, `connect`, that opens a new
 * connection to an endpoint reachable from the exporter (TCP, UDP, Unix socket) or echoes.
 */
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import type { ByteStream } from "@jumpstarter/lib/streams";
import { ConnectionError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { describeError, endpointUrl, formatHostPort } from "./address.ts";
import {
  echoConfig,
  type HostPortConfig,
  hostPortConfig,
  type UnixConfig,
  unixConfig,
} from "./config.ts";
import { addressableNetworkInterface, networkInterface } from "./interface.ts";
import { type SocketStream, socketStream } from "./socket_stream.ts";
import { openUdp } from "./udp_stream.ts";

/**
 * A driver whose `connect` opens a socket. It keeps track of the open ones so that `close()` at
 * session end releases every connection still in use.
 */
abstract class SocketNetwork extends Driver {
  readonly interface: typeof networkInterface | typeof addressableNetworkInterface =
    networkInterface;
  readonly #open = new Set<SocketStream>();

  /** Opens one new connection to the endpoint. */
  protected abstract dial(): Promise<SocketStream>;

  /** How many connections are open right now. */
  get openConnections(): number {
    return this.#open.size;
  }

  /** Settles once no connection is open any more. */
  async idle(): Promise<void> {
    while (this.#open.size > 0) await Promise.all([...this.#open].map((stream) => stream.closed));
  }

  async connect(): Promise<ByteStream> {
    const stream = await this.dial();
    this.#open.add(stream);
    stream.closed.then(() => this.#open.delete(stream));
    return stream;
  }

  override close(): void {
    for (const stream of this.#open) stream.close();
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(networkInterface, this);
  }
}

/** A socket endpoint at `host:port` that tells its address when `enable_address` allows. */
abstract class HostPortNetwork extends SocketNetwork {
  override readonly interface = addressableNetworkInterface;
  readonly host: string;
  readonly port: number;
  readonly enableAddress: boolean;
  protected abstract readonly scheme: "tcp" | "udp";

  constructor(config: HostPortConfig, options: DriverOptions = {}) {
    super(options);
    this.host = config.host;
    this.port = config.port;
    this.enableAddress = config.enable_address ?? true;
  }

  /**
   * `tcp://HOST:PORT` (or `udp://`), the host resolved to an IP address, as upstream.
   *
   * @throws {InvalidArgumentError} when the config sets `enable_address: false`.
   */
  async address(): Promise<string> {
    if (!this.enableAddress) {
      throw new InvalidArgumentError(
        "enable_address mode is not true in the exporter configuration",
      );
    }
    return await endpointUrl(this.scheme, this.host, this.port);
  }

  protected override exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(addressableNetworkInterface, this);
  }
}

/** Connects to a TCP service, one TCP connection per stream. */
export class TcpNetwork extends HostPortNetwork {
  protected readonly scheme = "tcp";

  protected async dial(): Promise<SocketStream> {
    this.logger.debug(`Connecting TCP host=${this.host} port=${this.port}`);
    try {
      return socketStream(await Deno.connect({ hostname: this.host, port: this.port }));
    } catch (error) {
      throw new ConnectionError(
        `Cannot connect to TCP ${formatHostPort(this.host, this.port)}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }
}

/**
 * Talks to a UDP service: each stream is a connected UDP socket; one chunk from the client is one
 * datagram to `host:port`, one datagram back is one chunk to the client.
 */
export class UdpNetwork extends HostPortNetwork {
  protected readonly scheme = "udp";

  protected dial(): Promise<SocketStream> {
    this.logger.debug(`Connecting UDP host=${this.host} port=${this.port}`);
    const where = formatHostPort(this.host, this.port);
    let warned = false;
    return openUdp(this.host, this.port, {
      onDrop: () => {
        if (warned) return;
        warned = true;
        this.logger.warning(`Dropping datagrams from UDP ${where}: the client reads too slowly`);
      },
    });
  }
}

/** Connects to a Unix domain socket on the exporter, one connection per stream. */
export class UnixNetwork extends SocketNetwork {
  readonly path: string;

  constructor(config: UnixConfig, options: DriverOptions = {}) {
    super(options);
    this.path = config.path;
  }

  protected async dial(): Promise<SocketStream> {
    this.logger.debug(`Connecting UDS path=${this.path}`);
    try {
      return socketStream(await Deno.connect({ transport: "unix", path: this.path }));
    } catch (error) {
      throw new ConnectionError(
        `Cannot connect to Unix socket ${this.path}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }
}

/** Sends every byte straight back; ends when the client ends its side. For trying things out. */
export class EchoNetwork extends Driver {
  readonly interface = networkInterface;

  constructor(options: DriverOptions = {}) {
    super(options);
  }

  connect(): ByteStream {
    this.logger.debug("Connecting Echo");
    // upstream buffers 32 chunks in memory
    return new TransformStream<Uint8Array, Uint8Array>(
      undefined,
      { highWaterMark: 32 },
      { highWaterMark: 0 },
    );
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(networkInterface, this);
  }
}

export const tcpNetworkType = defineDriverType({
  name: "TcpNetwork",
  aliases: ["jumpstarter_driver_network.driver.TcpNetwork"],
  config: hostPortConfig,
  create: (config, options) => new TcpNetwork(config, options),
});

export const udpNetworkType = defineDriverType({
  name: "UdpNetwork",
  aliases: ["jumpstarter_driver_network.driver.UdpNetwork"],
  config: hostPortConfig,
  create: (config, options) => new UdpNetwork(config, options),
});

export const unixNetworkType = defineDriverType({
  name: "UnixNetwork",
  aliases: ["jumpstarter_driver_network.driver.UnixNetwork"],
  config: unixConfig,
  create: (config, options) => new UnixNetwork(config, options),
});

export const echoNetworkType = defineDriverType({
  name: "EchoNetwork",
  aliases: ["jumpstarter_driver_network.driver.EchoNetwork"],
  config: echoConfig,
  create: (_config, options) => new EchoNetwork(options),
});
