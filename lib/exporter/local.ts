/**
 * Local mode: an exporter config served in-process on a private Unix socket.
 */
import { ExporterStatus } from "@jumpstarter/protos";
import { loadExporterConfig } from "@jumpstarter/lib/config";
import type { DriverRegistry } from "@jumpstarter/lib/driver";
import { privateSocketPath, serveSession } from "./server.ts";
import { Session } from "./session.ts";
import { buildDriverTree } from "./tree.ts";

/** A running local exporter. */
export interface LocalExporter extends AsyncDisposable {
  /** The socket path clients use as `JUMPSTARTER_HOST`. */
  readonly address: string;
  /** A private directory next to the socket, removed on close. */
  readonly dir: string;
  readonly session: Session;
  close(): Promise<void>;
  /**
   * Closes the drivers and removes the socket but leaves client connections to die with the
   * process, instead of sending them an HTTP/2 GOAWAY: a GOAWAY can crash a connected Deno client
   * (denoland/deno#36788), while a closed socket is a clean UNAVAILABLE. Exit right after.
   */
  closeBeforeExit(): Promise<void>;
}

/** Options of {@linkcode startLocalExporter}. */
export interface LocalExporterOptions {
  /** Driver types by config `type:` name: the program's, from `driverRegistryOf(packages)`. */
  registry: DriverRegistry;
}

/** Loads `configPath`, builds its drivers and serves them on a fresh private socket. */
export async function startLocalExporter(
  configPath: string,
  options: LocalExporterOptions,
): Promise<LocalExporter> {
  const config = await loadExporterConfig(configPath);
  const root = await buildDriverTree(config, { registry: options.registry });
  const session = new Session(root, {
    status: ExporterStatus.LEASE_READY,
    ...(config.motd === null ? {} : { motd: config.motd }),
  });
  let dir: string | undefined;
  try {
    await session.open();
    const socket = await privateSocketPath();
    dir = socket.dir;
    const server = await serveSession(session, socket.path);
    const privateDir = dir;
    let closing: Promise<void> | undefined;
    const shutdown = (graceful: boolean) =>
      closing ??= (async () => {
        if (graceful) await server.close();
        await session.close();
        await Deno.remove(privateDir, { recursive: true }).catch(() => {});
      })();
    const close = () => shutdown(true);
    return {
      address: server.address,
      dir,
      session,
      close,
      closeBeforeExit: () => shutdown(false),
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await session.close().catch(() => {});
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
