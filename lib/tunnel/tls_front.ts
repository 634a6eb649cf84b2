/**
 * A TLS front for a plaintext gRPC server on a Unix socket. grpc-js's own TLS server does not
 * work under Deno (its http2 secure server answers TLS clients with plaintext), so TLS is
 * terminated here by a plain `node:tls` server and the bytes are relayed to the server's
 * socket. Nagle is switched off on the TLS side: gRPC's small frames would otherwise wait
 * ~40 ms for acknowledgements (Deno's own TLS listener cannot switch it off).
 */
import net from "node:net";
import tls from "node:tls";

/** Options of {@linkcode serveTlsFront}. */
export interface TlsFrontOptions {
  hostname: string;
  port: number;
  cert: string;
  key: string;
  /** The plaintext server's Unix socket. */
  target: string;
}

/** A running TLS front. */
export interface TlsFront extends AsyncDisposable {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens for TLS (ALPN h2) on `hostname:port` and relays each connection to `target`. */
export async function serveTlsFront(options: TlsFrontOptions): Promise<TlsFront> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
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
  server.on("tlsClientError", () => {/* a failed handshake only affects that client */});
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
