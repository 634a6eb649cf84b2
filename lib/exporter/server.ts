/**
 * Serving a Session over gRPC: a Unix socket (local mode, hooks) or TCP (direct mode).
 */
import * as grpc from "@grpc/grpc-js";
import { ExporterService, RouterService, serviceDefinition } from "@jumpstarter/protos";
import type { Session } from "./session.ts";

/** A running session server. */
export interface SessionServer extends AsyncDisposable {
  /** What clients put in `JUMPSTARTER_HOST`: the socket path, or `host:port`. */
  readonly address: string;
  /** Stops accepting calls, waits briefly for running ones, and removes the socket file. */
  close(): Promise<void>;
}

/** Options of {@linkcode serveSession}. */
export interface ServeOptions {
  /** How long `close()` lets running calls finish before cancelling them. */
  gracePeriodMs?: number;
}

/** Serves `session` on a Unix socket at `socketPath` (created; removed again on close). */
export async function serveSession(
  session: Session,
  socketPath: string,
  options: ServeOptions = {},
): Promise<SessionServer> {
  const server = new grpc.Server();
  server.addService(serviceDefinition(ExporterService), session.service());
  server.addService(serviceDefinition(RouterService), session.routerService());
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `unix:${socketPath}`,
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= shutdown(server, options.gracePeriodMs ?? 1000).finally(() =>
      Deno.remove(socketPath).catch(() => {})
    );
  return { address: socketPath, close, [Symbol.asyncDispose]: close };
}

function shutdown(server: grpc.Server, gracePeriodMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, gracePeriodMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Creates a private directory for a session socket, `$XDG_RUNTIME_DIR/jumpstarter-*` or tmp. */
export async function privateSocketPath(): Promise<{ path: string; dir: string }> {
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  const dir = await Deno.makeTempDir({
    prefix: "jumpstarter-",
    ...(runtime ? { dir: runtime } : {}),
  });
  await Deno.chmod(dir, 0o700);
  return { path: `${dir}/socket`, dir };
}
