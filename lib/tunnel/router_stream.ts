/**
 * One end of a router tunnel: a `RouterService.Stream` call to a router, authorised by the
 * router token, as a byte stream. Channels are cached per router endpoint.
 */
import * as grpc from "@grpc/grpc-js";
import { CHANNEL_WINDOW_OPTIONS, createClient, RouterService } from "@jumpstarter/protos";
import { type ByteStream, frameByteStream, pipeBoth } from "@jumpstarter/lib/streams";
import { statusToError } from "@jumpstarter/lib/wire";
import { channelCredentials, type TlsOptions } from "./tls.ts";

/** Options of {@linkcode RouterChannels}. */
export interface RouterChannelOptions {
  tls?: TlsOptions;
  /** Plaintext (tests, or `--insecure-plaintext` deployments). */
  plaintext?: boolean;
}

/** gRPC channels to routers, one per endpoint, reused across tunnels. */
export class RouterChannels {
  readonly #options: RouterChannelOptions;
  readonly #channels = new Map<string, Promise<grpc.Client>>();

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
    const call = router.stream({ metadata });
    call.on("error", () => {/* surfaced through the streams */});
    return frameByteStream(call, {
      onOutboundEnd: () => call.end(),
      onAbort: () => call.cancel(),
      mapError: statusToError,
    });
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
