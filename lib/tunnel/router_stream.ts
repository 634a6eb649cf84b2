/**
 * One end of a router tunnel: a `RouterService.Stream` call to a router, authorised by the
 * router token, as a byte stream. Channels are cached per router endpoint.
 */
import * as grpc from "@grpc/grpc-js";
import { CHANNEL_WINDOW_OPTIONS, createClient, RouterService } from "@jumpstarter/protos";
import {
  type ByteStream,
  FAST_PATH_REQUEST_KEY,
  fastPathDisabled,
  frameByteStream,
  pipeBoth,
  type RawConn,
  SPLICE_PORT_KEY,
  type SpliceSide,
} from "@jumpstarter/lib/streams";
import { statusToError } from "@jumpstarter/lib/wire";
import { channelCredentials, fetchCertificateChain, type TlsOptions } from "./tls.ts";
import { dialSplice, type SpliceRoute } from "./router_splice_dial.ts";

/** Options of {@linkcode RouterChannels}. */
export interface RouterChannelOptions {
  tls?: TlsOptions;
  /** Plaintext (tests, or `--insecure-plaintext` deployments). */
  plaintext?: boolean;
}

/**
 * gRPC channels to routers, one per endpoint, reused across tunnels; and the way to our router's
 * splice port for the fast path, learnt from the latest tunnel whose router named one.
 */
export class RouterChannels {
  readonly #options: RouterChannelOptions;
  readonly #channels = new Map<string, Promise<grpc.Client>>();
  readonly #pinned = new Map<string, Promise<string>>();
  #route: SpliceRoute | undefined;

  constructor(options: RouterChannelOptions = {}) {
    this.#options = options;
  }

  #channel(endpoint: string): Promise<grpc.Client> {
    let channel = this.#channels.get(endpoint);
    if (!channel) {
      channel = (async () => {
        const credentials = this.#options.plaintext
          ? grpc.credentials.createInsecure()
          : await channelCredentials(endpoint, this.#options.tls);
        return new grpc.Client(endpoint, credentials, {
          ...CHANNEL_WINDOW_OPTIONS,
          "grpc.keepalive_time_ms": 20000,
          "grpc.keepalive_permit_without_calls": 1,
        });
      })();
      channel.catch(() => this.#channels.delete(endpoint));
      this.#channels.set(endpoint, channel);
    }
    return channel;
  }

  /** Opens the tunnel end for `token` on `endpoint`. */
  async open(endpoint: string, token: string): Promise<ByteStream> {
    const router = createClient(RouterService, await this.#channel(endpoint));
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    if (!fastPathDisabled()) metadata.set(FAST_PATH_REQUEST_KEY, "1");
    const call = router.stream({ metadata });
    call.on("error", () => {/* surfaced through the streams */});
    call.once("metadata", (headers: grpc.Metadata) => {
      const port = Number(headers.get(SPLICE_PORT_KEY)[0]);
      if (Number.isInteger(port) && port > 0 && port < 65536) {
        this.#route = { endpoint, port, routerToken: token };
      }
    });
    return frameByteStream(call, {
      onOutboundEnd: () => call.end(),
      onAbort: () => call.cancel(),
      mapError: statusToError,
    });
  }

  /** Whether a router named its splice port on a tunnel of ours. */
  get canSplice(): boolean {
    return this.#route !== undefined;
  }

  /**
   * Connects to the router's splice port as `side` of the fast-path stream `streamToken`; the
   * connection once the router paired it with the other side, else undefined.
   */
  splice(
    streamToken: string,
    side: SpliceSide,
    signal?: AbortSignal,
  ): Promise<RawConn | undefined> {
    const route = this.#route;
    if (!route) return Promise.resolve(undefined);
    return dialSplice(
      route,
      {
        ...(this.#options.plaintext ? { plaintext: true } : {}),
        ...(this.#options.tls ? { tls: this.#options.tls } : {}),
        pinned: (endpoint) => this.#pinnedChain(endpoint),
      },
      streamToken,
      side,
      signal,
    );
  }

  #pinnedChain(endpoint: string): Promise<string> {
    let chain = this.#pinned.get(endpoint);
    if (!chain) {
      chain = fetchCertificateChain(endpoint);
      chain.catch(() => this.#pinned.delete(endpoint));
      this.#pinned.set(endpoint, chain);
    }
    return chain;
  }

  close(): void {
    for (const channel of this.#channels.values()) channel.then((c) => c.close(), () => {});
    this.#channels.clear();
  }
}

/** Pipes a socket connection into a tunnel end until both directions end, then closes it. */
export async function bridge(conn: Deno.Conn, tunnel: ByteStream): Promise<void> {
  await pipeBoth({ readable: conn.readable, writable: conn.writable }, tunnel).catch(() => {});
  try {
    conn.close();
  } catch { /* already closed */ }
}
