/**
 * Connections to an exporter session: a Unix socket path (local mode, or the per-lease socket of a
 * remote shell) or a TCP `host:port` (direct mode).
 */
/**
 * @ignore For `deno doc --lint` only: on a file's first statement this tag exempts the file's
 * public types from needing what they reference exported from the linted modules. It is here for
 * grpc-js's `Client` and `Metadata` and the generated service clients, documented by their own packages (re-exporting them would lint their declarations).
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  CHANNEL_WINDOW_OPTIONS,
  createClient,
  ExporterService,
  RouterService,
  type ServiceClient,
  type ServiceMethods,
} from "@jumpstarter/protos";
import { sslCredentials } from "@jumpstarter/lib/tunnel";
import { PASSPHRASE_METADATA_KEY } from "@jumpstarter/lib/wire";

/** A typed ExporterService client. */
export type ExporterClient = ServiceClient<ServiceMethods<typeof ExporterService>>;

/** A typed RouterService client (byte streams on the session). */
export type RouterClient = ServiceClient<ServiceMethods<typeof RouterService>>;

/** Options of {@linkcode connect}. */
export interface ConnectOptions {
  /** For TCP targets: plaintext instead of TLS (direct mode's `--tls-grpc-insecure`). */
  insecure?: boolean;
  /** Direct-mode passphrase, sent as `x-jumpstarter-passphrase` on every call. */
  passphrase?: string;
  /** For TLS: PEM of the CA to trust instead of the system roots (our `JMP_GRPC_CA`). */
  ca?: string;
}

/** An open connection to an exporter session. */
export interface Connection extends Disposable {
  /** The gRPC target, `unix:<path>` or `host:port`. */
  readonly target: string;
  /** Set when the channel speaks TLS (a TCP target without `insecure`), with the CA it trusts. */
  readonly tls?: { ca?: string };
  /** `ExporterService`: report, driver calls, log stream. */
  readonly exporter: ExporterClient;
  /** `RouterService`: driver byte streams and resource streams. */
  readonly router: RouterClient;
  /** The underlying gRPC channel both service clients share. */
  readonly channel: grpc.Client;
  /** Metadata to send with every call (the passphrase, when one is set). */
  metadata(): grpc.Metadata;
  /** Closes the channel; calls and streams in flight fail. */
  close(): void;
}

/** Whether `host` names a TCP endpoint: the text after the last `:` is a port number. */
export function isTcpTarget(host: string): boolean {
  const port = host.slice(host.lastIndexOf(":") + 1);
  return host.includes(":") && /^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/** Opens a gRPC channel to an exporter session at `host` (a socket path or `host:port`). */
export function connect(host: string, options: ConnectOptions = {}): Connection {
  const tcp = isTcpTarget(host);
  const target = tcp ? host : `unix:${host}`;
  const credentials = tcp && !options.insecure
    ? sslCredentials(options.ca ? Buffer.from(options.ca) : null)
    : grpc.credentials.createInsecure();
  const channel = new grpc.Client(target, credentials, {
    ...CHANNEL_WINDOW_OPTIONS,
    "grpc.enable_retries": 0,
  });
  const close = () => channel.close();
  const passphrase = options.passphrase;
  const tls = tcp && !options.insecure ? { ...(options.ca ? { ca: options.ca } : {}) } : undefined;
  return {
    target,
    ...(tls ? { tls } : {}),
    channel,
    exporter: createClient(ExporterService, channel),
    router: createClient(RouterService, channel),
    metadata() {
      const metadata = new grpc.Metadata();
      if (passphrase !== undefined) metadata.set(PASSPHRASE_METADATA_KEY, passphrase);
      return metadata;
    },
    close,
    [Symbol.dispose]: close,
  };
}
