/**
 * `serve(driver)`: runs a driver in an in-process session on a private Unix socket and returns
 * its client, so driver tests exercise the real client <-> exporter path.
 */
import type { Driver } from "@jumpstarter/lib/driver";
import {
  type ClientRegistry,
  type DriverClient,
  type ExporterHandle,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import {
  privateSocketPath,
  serveSession,
  Session,
  type SessionOptions,
} from "@jumpstarter/lib/exporter";

/** A served driver: its typed client, the session behind it, and cleanup. */
export interface Served<T extends DriverClient> extends AsyncDisposable {
  readonly client: T;
  readonly session: Session;
  /** The socket path, usable as `JUMPSTARTER_HOST`. */
  readonly address: string;
  readonly handle: ExporterHandle;
  close(): Promise<void>;
}

/** Options of {@linkcode serve}. */
export interface ServedOptions extends SessionOptions {
  registry?: ClientRegistry;
  onWarning?: (message: string) => void;
}

/**
 * Serves `driver` as the root of a session and connects a client to it. With `kind`, the root
 * client is checked to be of that class.
 *
 * @example Power a mock on
 * ```ts ignore
 * await using served = await serve(new MockPower(), PowerClient);
 * await served.client.on();
 * ```
 */
export async function serve<T extends DriverClient = DriverClient>(
  driver: Driver,
  kind?: abstract new (...args: never[]) => T,
  options: ServedOptions = {},
): Promise<Served<T>> {
  const session = new Session(driver, options);
  await session.open();
  const { path, dir } = await privateSocketPath();
  const server = await serveSession(session, path);
  let handle: ExporterHandle | undefined;
  const close = async () => {
    handle?.close();
    await server.close();
    await session.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    handle = await openExporter(path, {
      policy: UNSAFE_POLICY,
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    if (kind && !(handle.root instanceof kind)) {
      throw new TypeError(
        `Cannot serve as ${kind.name}: the root client is "${handle.root.clientClass}"`,
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    client: handle.root as T,
    session,
    address: path,
    handle,
    close,
    [Symbol.asyncDispose]: close,
  };
}
