/**
 * Both ends of the distributed data path (spec/protocol.md 6.3). The client listens on a local
 * Unix socket; every connection its gRPC stack opens there is dialled through the controller and
 * tunnelled to a router. The exporter, for every ListenResponse, connects to its own session
 * socket and tunnels that connection to the router with the same token, where the two meet.
 */
import { bridge, type RouterChannels } from "./router_stream.ts";
import { openSpliceRelay } from "./splice_relay.ts";

/** A router endpoint and token, from `Dial` (client) or `Listen` (exporter). */
export interface RouterTicket {
  routerEndpoint: string;
  routerToken: string;
}

/** A local socket whose connections are tunnelled to the leased exporter. */
export interface TunnelListener extends AsyncDisposable {
  readonly path: string;
  /** Ends the connections tunnelled so far (e.g. once the lease ended); new ones are still taken. */
  endTunnels(): void;
  close(): Promise<void>;
}

/** Options of {@linkcode listenForLease}. */
export interface LeaseListenerOptions {
  /** The Unix socket to create. */
  path: string;
  /** Asks the controller for a fresh ticket (one `Dial` per connection, as upstream). */
  dial(): Promise<RouterTicket>;
  routers: RouterChannels;
  /** Told about a connection that could not be tunnelled (it is closed). */
  onError?: (error: unknown) => void;
}

/**
 * Listens on `path` and tunnels each accepted connection; beside it, `<path>.fast` relays our
 * clients' fast-path connections to the router's splice port.
 */
export function listenForLease(options: LeaseListenerOptions): TunnelListener {
  const listener = Deno.listen({ transport: "unix", path: options.path });
  const relay = openSpliceRelay(`${options.path}.fast`, options.routers);
  const conns = new Set<Deno.UnixConn>();
  const endTunnels = () => {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    conns.clear();
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        try {
          const ticket = await options.dial();
          const tunnel = await options.routers.open(ticket.routerEndpoint, ticket.routerToken);
          await bridge(conn, tunnel);
        } catch (error) {
          options.onError?.(error);
          try {
            conn.close();
          } catch { /* already closed */ }
        }
      })().finally(() => conns.delete(conn));
    }
  })().catch(() => {});
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      listener.close();
      await accepting;
      await relay?.close();
      await Deno.remove(options.path).catch(() => {});
    })();
  return { path: options.path, endTunnels, close, [Symbol.asyncDispose]: close };
}

/** Exporter side: tunnels one new connection to the local session for a ticket. */
export async function serveTicket(
  sessionSocket: string,
  ticket: RouterTicket,
  routers: RouterChannels,
  signal?: AbortSignal,
): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path: sessionSocket });
  const cut = () => {
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  // Aborting cuts the bridge before the session server shuts down: the client then sees its
  // connection drop instead of an HTTP/2 GOAWAY, which can crash a Deno client (denoland/deno#36788).
  signal?.addEventListener("abort", cut, { once: true });
  try {
    if (signal?.aborted) throw signal.reason;
    const tunnel = await routers.open(ticket.routerEndpoint, ticket.routerToken);
    await bridge(conn, tunnel);
  } catch (error) {
    cut();
    throw error;
  } finally {
    signal?.removeEventListener("abort", cut);
  }
}
