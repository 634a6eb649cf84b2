/**
 * A TLS front for a plaintext gRPC server on a Unix socket. grpc-js's own TLS server does not
 * work under Deno (its http2 secure server answers TLS clients with plaintext), so TLS is
 * terminated here by a plain `node:tls` server and the bytes are relayed to the server's
 * socket. Nagle is switched off on the TLS side: gRPC's small frames would otherwise wait
 * ~40 ms for acknowledgements (Deno's own TLS listener cannot switch it off). Each connection's
 * first bytes are peeked before the handshake: a client speaking plaintext is told that TLS is
 * required (in gRPC or HTTP/1 when it speaks those) and the refusal is logged in one line.
 */
import net from "node:net";
import tls from "node:tls";
import { appendBytes, classifyFirstBytes, refuseH2, refuseHttp1 } from "./plaintext_refusal.ts";

/** What a plaintext client is told. */
export const TLS_REQUIRED_MESSAGE = "this endpoint requires TLS: connect with TLS (https, no " +
  "--tls-grpc-insecure / JMP_GRPC_INSECURE, no plaintext channel)";
/** How long a new connection may stay silent before its first bytes are seen. */
const FIRST_BYTES_MS = 60_000;

/** Options of {@linkcode serveTlsFront}. */
export interface TlsFrontOptions {
  hostname: string;
  port: number;
  cert: string;
  key: string;
  /** The plaintext server's Unix socket. */
  target: string;
  /** Where one-line notes of refused plaintext connections go (default: stderr). */
  log?: (message: string) => void;
}

/** A running TLS front. */
export interface TlsFront extends AsyncDisposable {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens for TLS (ALPN h2) on `hostname:port` and relays each connection to `target`. */
export async function serveTlsFront(options: TlsFrontOptions): Promise<TlsFront> {
  const sockets = new Set<net.Socket>();
  const log = options.log ?? ((message: string) => console.error(message));
  const secure = tls.createServer(
    { cert: options.cert, key: options.key, ALPNProtocols: ["h2"] },
    (client) => {
      client.setNoDelay(true);
      const upstream = net.connect(options.target);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      }
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop);
      upstream.on("error", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    },
  );
  secure.on("tlsClientError", () => {/* a failed handshake only affects that client */});
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(FIRST_BYTES_MS, () => socket.destroy());
    let received = new Uint8Array();
    const peek = (chunk: Uint8Array) => {
      received = appendBytes(received, chunk);
      const kind = classifyFirstBytes(received);
      if (kind === "more") return;
      socket.off("data", peek);
      socket.setTimeout(0);
      if (kind === "tls") {
        socket.pause();
        socket.unshift(received);
        secure.emit("connection", socket);
        return;
      }
      log(
        `Refused a plaintext ${kind === "other" ? "" : `${kind} `}connection from ` +
          `${socket.remoteAddress}:${socket.remotePort}: this endpoint requires TLS`,
      );
      if (kind === "h2") refuseH2(socket, received, TLS_REQUIRED_MESSAGE);
      else if (kind === "http1") refuseHttp1(socket, TLS_REQUIRED_MESSAGE);
      else socket.destroy();
    };
    socket.on("data", peek);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return { port: address.port, close, [Symbol.asyncDispose]: close };
}
