/**
 * Serving a Session over gRPC: a Unix socket (local mode, hooks) or TCP (direct mode).
 */
import * as grpc from "@grpc/grpc-js";
import {
  createServer,
  ExporterService,
  RouterService,
  serviceDefinition,
} from "@jumpstarter/protos";
import { AuthFailureThrottle, PASSPHRASE_METADATA_KEY, peerHost } from "@jumpstarter/lib/wire";
import { FastPathListener, type FastPathTcpOptions } from "@jumpstarter/lib/streams";
import { closeOnExecAll } from "./close_on_exec.ts";
import type { Session } from "./session.ts";
import { claimSocketSlot } from "./confined_sockets.ts";
import { SOCKET_DIR_VARIABLE } from "./confined_grants.ts";

/** A running session server. */
export interface SessionServer extends AsyncDisposable {
  /** What clients put in `JUMPSTARTER_HOST`: the socket path, or `host:port`. */
  readonly address: string;
  /** The fast path's raw sockets (unless `JMP_DISABLE_FAST_PATH` is set or none could be made). */
  readonly fastPath?: FastPathListener;
  /** Stops accepting calls, waits briefly for running ones, and removes the socket file. */
  close(): Promise<void>;
}

/** Options of {@linkcode serveSession}. */
export interface ServeOptions {
  /** How long `close()` lets running calls finish before cancelling them. */
  gracePeriodMs?: number;
  /** Every call must carry it as `x-jumpstarter-passphrase` (direct mode). */
  passphrase?: string;
  /**
   * Direct mode behind a TLS front: the fast path's own TLS port (our clients only), beside the
   * Unix socket it always has next to the session socket.
   */
  fastPathTls?: FastPathTcpOptions;
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Refuses every call without the passphrase, as upstream's direct mode does; refusals are logged
 * and paced per client host (a client through the TLS front shares the front's pace).
 */
function passphraseInterceptor(passphrase: string): grpc.ServerInterceptor {
  const failures = new AuthFailureThrottle();
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            const given = metadata.get(PASSPHRASE_METADATA_KEY)[0];
            if (typeof given === "string" && constantTimeEqual(given, passphrase)) {
              proceed(metadata);
              return;
            }
            const reason = given === undefined ? "missing passphrase" : "wrong passphrase";
            failures.refuse(peerHost(call.getPeer()), reason).then(() =>
              call.sendStatus({
                code: grpc.status.UNAUTHENTICATED,
                details: "invalid or missing passphrase",
                metadata: new grpc.Metadata(),
              })
            );
          },
        }),
    });
}

/**
 * Serves `session` on TCP (`host:port`, plaintext; put a TLS front before it for TLS) for
 * direct mode. The returned address has the bound port. The fast path gets a port of its own on
 * the same host: telling the two apart on one port would need a relay in front of grpc-js, a copy
 * every upstream client would pay for.
 */
export async function serveSessionTcp(
  session: Session,
  hostPort: string,
  options: ServeOptions = {},
): Promise<SessionServer> {
  const host = hostPort.slice(0, hostPort.lastIndexOf(":"));
  const fastPath = FastPathListener.openTcp({ hostname: unbracketed(host) });
  const server = sessionServer(session, options, fastPath);
  let port: number;
  try {
    port = await bind(server, hostPort);
  } catch (error) {
    await fastPath?.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= shutdown(server, options.gracePeriodMs ?? 1000).finally(() => fastPath?.close());
  return {
    address: `${host}:${port}`,
    ...(fastPath ? { fastPath } : {}),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function unbracketed(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function sessionServer(
  session: Session,
  options: ServeOptions,
  fastPath?: FastPathListener,
): grpc.Server {
  const server = createServer({
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10000,
    ...(options.passphrase === undefined
      ? {}
      : { interceptors: [passphraseInterceptor(options.passphrase)] }),
  });
  server.addService(serviceDefinition(ExporterService), session.service());
  server.addService(serviceDefinition(RouterService), session.routerService(fastPath));
  return server;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(
      address,
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(listenError(address, error)) : resolve(port),
    )
  );
}

/** grpc-js wraps the socket's own reason ("address already in use") in a summary; keep the reason. */
function listenError(address: string, error: Error): Error {
  const reason = /errors: \[(?:listen \w+: )?(.*)\]$/.exec(error.message)?.[1] ?? error.message;
  return new Error(`Cannot listen on ${address.replace(/^unix:/, "")}: ${reason}`, {
    cause: error,
  });
}

/** Serves `session` on a Unix socket at `socketPath` (created; removed again on close). */
export async function serveSession(
  session: Session,
  socketPath: string,
  options: ServeOptions = {},
): Promise<SessionServer> {
  // the fast path's raw socket sits next to the session socket (our clients only)
  const fastPath = FastPathListener.open(`${socketPath}.fast`);
  if (options.fastPathTls) fastPath?.listenTcp(options.fastPathTls);
  const server = sessionServer(session, options, fastPath);
  try {
    await bind(server, `unix:${socketPath}`);
  } catch (error) {
    await fastPath?.close();
    throw error;
  }
  // grpc-js's Unix listener is the one descriptor Deno leaves inheritable
  closeOnExecAll();
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= shutdown(server, options.gracePeriodMs ?? 1000).finally(() =>
      Promise.all([Deno.remove(socketPath).catch(() => {}), fastPath?.close()])
    );
  return {
    address: socketPath,
    ...(fastPath ? { fastPath } : {}),
    close,
    [Symbol.asyncDispose]: close,
  };
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
  const confined = Deno.env.get(SOCKET_DIR_VARIABLE);
  if (confined) return await claimSocketSlot(confined);
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  const dir = await Deno.makeTempDir({
    prefix: "jumpstarter-",
    ...(runtime ? { dir: runtime } : {}),
  });
  await Deno.chmod(dir, 0o700);
  return { path: `${dir}/socket`, dir };
}
