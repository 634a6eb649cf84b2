/**
 * Local port forwarding: a listener on this machine whose every accepted connection opens its own
 * stream to a network driver and copies bytes both ways until both sides have ended.
 */
import { pipeBoth } from "@jumpstarter/lib/streams";
import { describeError, formatHostPort } from "./address.ts";
import type { NetworkStream } from "./network_stream.ts";
import { type SocketStream, socketStream } from "./socket_stream.ts";

/** Options shared by the forwarders. */
export interface ForwardOptions {
  /**
   * Called when one forwarded connection fails (e.g. the exporter cannot reach its target); that
   * connection is closed and the forwarder keeps listening.
   */
  onError?: (error: unknown) => void;
}

/** A running forwarder. Closing it stops listening and ends every forwarded connection. */
export interface ForwarderBase extends AsyncDisposable {
  /** Forwarded connections currently open. */
  readonly connections: number;
  /** Stops listening, drops every active connection and waits until they are released. */
  close(): Promise<void>;
}

/** A forwarder listening on a local TCP port. */
export interface Forwarder extends ForwarderBase {
  /** The bound IP address, e.g. `127.0.0.1` or `::1`. */
  readonly address: string;
  /** The bound port (the one picked by the system when 0 was asked for). */
  readonly port: number;
}

/** A forwarder listening on a local Unix socket. */
export interface UnixForwarder extends ForwarderBase {
  /** The socket path. */
  readonly path: string;
}

interface Link {
  local: SocketStream;
  remote?: NetworkStream;
}

/** Accepts on `listener` and forwards each connection to a stream from `open`. */
export class ListenerForwarder implements ForwarderBase {
  readonly #listener: Deno.Listener;
  readonly #open: () => Promise<NetworkStream>;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #links = new Set<Link>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  readonly #cleanup: () => Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(
    listener: Deno.Listener,
    open: () => Promise<NetworkStream>,
    options: ForwardOptions & { cleanup?: () => Promise<void> } = {},
  ) {
    this.#listener = listener;
    this.#open = open;
    this.#onError = options.onError;
    this.#cleanup = options.cleanup ?? (() => Promise.resolve());
    this.#accepting = this.#accept();
  }

  get connections(): number {
    return this.#links.size;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const task = this.#forward(socketStream(conn));
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    } catch (error) {
      if (!this.#closing) this.#report(error);
    }
  }

  #report(error: unknown): void {
    try {
      this.#onError?.(error);
    } catch {
      // a failing error callback must not break the forwarder
    }
  }

  async #forward(local: SocketStream): Promise<void> {
    const link: Link = { local };
    this.#links.add(link);
    try {
      link.remote = await this.#open();
      if (this.#closing) return;
      await pipeBoth(local, link.remote);
    } catch (error) {
      if (!this.#closing) this.#report(error);
    } finally {
      this.#links.delete(link);
      // a no-op after a clean end; otherwise it drops what is left of the connection
      link.remote?.abort();
      local.close();
    }
  }

  close(): Promise<void> {
    return this.#closing ??= this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    try {
      this.#listener.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    await this.#accepting;
    for (const link of this.#links) {
      link.remote?.abort(new Error("The forwarder was closed"));
      link.local.close();
    }
    await Promise.allSettled([...this.#tasks]);
    await this.#cleanup();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Listens on TCP `hostname:port` and forwards every connection. */
export function forwardTcpListener(
  hostname: string,
  port: number,
  open: () => Promise<NetworkStream>,
  options: ForwardOptions = {},
): Forwarder {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname, port, transport: "tcp" });
  } catch (error) {
    throw new Error(
      `Cannot listen on TCP ${formatHostPort(hostname, port)}: ${describeError(error)}`,
      { cause: error },
    );
  }
  const forwarder = new ListenerForwarder(listener, open, options);
  return Object.assign(forwarder, {
    address: listener.addr.hostname,
    port: listener.addr.port,
  });
}

/**
 * Listens on the Unix socket `path` (or a fresh one in a private temporary directory under
 * `$XDG_RUNTIME_DIR`, else the system temp dir) and forwards every connection. The socket file
 * (and the temporary directory) is removed on close.
 */
export async function forwardUnixListener(
  path: string | undefined,
  open: () => Promise<NetworkStream>,
  options: ForwardOptions = {},
): Promise<UnixForwarder> {
  let dir: string | undefined;
  if (path === undefined) {
    const runtime = Deno.env.get("XDG_RUNTIME_DIR");
    dir = await Deno.makeTempDir({ prefix: "jumpstarter-", ...(runtime ? { dir: runtime } : {}) });
    await Deno.chmod(dir, 0o700);
    path = `${dir}/socket`;
  }
  const socketPath = path;
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path: socketPath });
  } catch (error) {
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`Cannot listen on Unix socket ${socketPath}: ${describeError(error)}`, {
      cause: error,
    });
  }
  const cleanup = async () => {
    await Deno.remove(dir ?? socketPath, { recursive: true }).catch(() => {});
  };
  const forwarder = new ListenerForwarder(listener, open, { ...options, cleanup });
  return Object.assign(forwarder, { path: socketPath });
}
