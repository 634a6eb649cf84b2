/**
 * The port a controller or a router process serves gRPC on: plaintext, or TLS (a certificate
 * given, or self-signed and kept in the state directory) through the TLS front relaying to the
 * gRPC server's Unix socket; plus the router's splice port beside it (router_splice.ts).
 */
import * as grpc from "@grpc/grpc-js";
import { createServer } from "@jumpstarter/protos";
import { formatHostPort, type HostPort, parseHostPort } from "@jumpstarter/lib/config";
import { serveTlsFront, type TlsFront } from "@jumpstarter/lib/tunnel";
import type { Authority } from "./auth.ts";
import { STALE_STREAM_MS } from "./core.ts";
import { SpliceRouter } from "./router_splice.ts";
import { loadTlsMaterial } from "./state_dir.ts";

/** Options of {@linkcode serveGrpcPort}. */
export interface GrpcPortOptions {
  /** Where the self-signed certificate is kept, and the gRPC server's Unix socket. */
  stateDir: string;
  /** The Unix socket's file name in `stateDir` (one per process sharing a state directory). */
  socketName: string;
  /** `host:port` to listen on (port 0 picks one). */
  listen: string;
  /** `host:port` others reach it at; default the listen address (0.0.0.0 -> localhost). */
  advertise?: string;
  plaintext?: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Extra names and addresses for the self-signed certificate. */
  tlsHosts?: string[];
}

/** A gRPC port being served. */
export interface GrpcPort {
  readonly server: grpc.Server;
  readonly port: number;
  /** `host:port` others reach it at. */
  readonly endpoint: string;
  /** Base64 PEM of the self-signed certificate clients should trust ("" when none). */
  readonly caBase64: string;
  /** The TLS certificate and key, when TLS. */
  readonly identity?: { cert: string; key: string };
  close(): Promise<void>;
}

/** `[HOST:]PORT` (IPv6 bracketed); a missing host is every interface. */
function splitHostPort(address: string): HostPort {
  return parseHostPort(address, "0.0.0.0");
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(
      address,
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
}

/** Starts a gRPC server on the listen address (services are added by the caller). */
export async function serveGrpcPort(options: GrpcPortOptions): Promise<GrpcPort> {
  const listen = splitHostPort(options.listen);
  // a name, not an IP: Deno's TLS client refuses an IP address as the server name
  const advertisedHost = options.advertise
    ? splitHostPort(options.advertise).host
    : (["0.0.0.0", "127.0.0.1", "::", "::1"].includes(listen.host) ? "localhost" : listen.host);
  const server = createServer({
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 1000,
    // pings every peer, so that the streams of a host that vanished (no FIN, no RST) end within
    // STALE_STREAM_MS: its exporter shows Offline and a restarted process may connect again
    "grpc.keepalive_time_ms": STALE_STREAM_MS / 2,
    "grpc.keepalive_timeout_ms": STALE_STREAM_MS / 2,
  });
  let caBase64 = "";
  let port: number;
  let front: TlsFront | undefined;
  let identity: { cert: string; key: string } | undefined;
  if (options.plaintext) {
    port = await bind(server, formatHostPort(listen));
  } else {
    const tls = await loadTlsMaterial(
      options.stateDir,
      ["localhost", "127.0.0.1", advertisedHost, ...(options.tlsHosts ?? [])],
      options.tlsCertFile && options.tlsKeyFile
        ? { certFile: options.tlsCertFile, keyFile: options.tlsKeyFile }
        : undefined,
    );
    caBase64 = options.tlsCertFile ? "" : btoa(tls.cert);
    identity = { cert: tls.cert, key: tls.key };
    const socketPath = `${options.stateDir}/${options.socketName}`;
    await Deno.remove(socketPath).catch(() => {});
    await bind(server, `unix:${socketPath}`);
    try {
      front = await serveTlsFront({
        ...listen,
        hostname: listen.host,
        cert: tls.cert,
        key: tls.key,
        target: socketPath,
      });
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
    port = front.port;
  }
  return {
    server,
    port,
    endpoint: options.advertise ?? formatHostPort({ host: advertisedHost, port }),
    caBase64,
    ...(identity ? { identity } : {}),
    close: async () => {
      await front?.close();
      server.forceShutdown();
    },
  };
}

/** The splice port beside `port`, on the same host, TLS when it is (our peers only). */
export function serveSplicePort(
  authority: Authority,
  port: GrpcPort,
  listen: string,
): Promise<SpliceRouter | undefined> {
  return SpliceRouter.listen(authority, { hostname: splitHostPort(listen).host, ...port.identity });
}
