/**
 * A TLS front for a plaintext gRPC server on a Unix socket. grpc-js's own TLS server does not
 * work under Deno (its node:tls server answers TLS clients with plaintext), so TLS is
 * terminated here with Deno's native TLS and the bytes are relayed to the server's socket.
 */

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

async function relay(client: Deno.TlsConn, target: string): Promise<void> {
  let upstream: Deno.UnixConn;
  try {
    await client.handshake();
    upstream = await Deno.connect({ transport: "unix", path: target });
  } catch {
    try {
      client.close();
    } catch { /* already closed */ }
    return;
  }
  await Promise.allSettled([
    client.readable.pipeTo(upstream.writable),
    upstream.readable.pipeTo(client.writable),
  ]);
  for (const conn of [client, upstream]) {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/** Listens for TLS (ALPN h2) on `hostname:port` and relays each connection to `target`. */
export function serveTlsFront(options: TlsFrontOptions): TlsFront {
  const listener = Deno.listenTls({
    hostname: options.hostname,
    port: options.port,
    cert: options.cert,
    key: options.key,
    alpnProtocols: ["h2"],
  });
  const connections = new Set<Deno.TlsConn>();
  const accepting = (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      relay(conn, options.target).finally(() => connections.delete(conn));
    }
  })().catch(() => {});
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await accepting;
    })();
  return { port: (listener.addr as Deno.NetAddr).port, close, [Symbol.asyncDispose]: close };
}
