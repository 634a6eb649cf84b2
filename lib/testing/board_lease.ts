/**
 * A board leased for a test suite through the user's client config, as upstream's
 * `JumpstarterTest` with a `selector` does: lease, wait until Ready, open the exporter through a
 * tunnelled socket; closing releases the lease.
 */
import {
  clientIdentity,
  type ClientRegistry,
  connectController,
  createLease,
  type ExporterHandle,
  openExporter,
  openLeaseSocket,
  releaseLease,
  waitForLease,
} from "@jumpstarter/lib/client";
import {
  type ClientConfig,
  clientConfigFromEnv,
  clientConfigPath,
  currentClientAlias,
  loadClientConfig,
} from "@jumpstarter/lib/config";
import { JumpstarterError } from "@jumpstarter/lib/wire";

/** What {@linkcode leaseBoard} leases and with which client. */
export interface BoardLeaseOptions {
  /** Label selector of the board, e.g. `board=rpi4`. */
  selector: string;
  /** Client config file; default: `JMP_NAME`/`JMP_NAMESPACE`/... or the current client. */
  clientConfig?: string;
  /** Lease duration; default 30 minutes. */
  durationMs?: number;
  /** Client classes the board's tree is built with. */
  registry: ClientRegistry;
}

/** A leased board's session; `close()` releases the lease. */
export interface LeasedBoard {
  readonly handle: ExporterHandle;
  readonly lease: string;
  close(): Promise<void>;
}

/** The client config a test leases with: the given file, the environment, or the current one. */
export async function testClientConfig(path?: string): Promise<ClientConfig> {
  if (path !== undefined) return await loadClientConfig(path);
  const env = Deno.env.toObject();
  const fromEnv = clientConfigFromEnv(env);
  if (fromEnv !== undefined) return fromEnv;
  const alias = await currentClientAlias(env);
  if (alias === null) {
    throw new JumpstarterError(
      "jumpstarterTest with a selector needs a client config: pass clientConfig, " +
        "or set one current with `jmp config client use ALIAS`",
    );
  }
  return await loadClientConfig(clientConfigPath(alias, env));
}

/** Leases a board matching `options.selector` and opens its session. */
export async function leaseBoard(options: BoardLeaseOptions): Promise<LeasedBoard> {
  const config = await testClientConfig(options.clientConfig);
  const connection = await connectController(clientIdentity(config));
  const cleanups: (() => Promise<void> | void)[] = [() => connection.close()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  };
  try {
    const created = await createLease(connection, {
      selector: options.selector,
      durationMs: options.durationMs ?? 30 * 60_000,
    });
    const lease = created.name.slice(created.name.lastIndexOf("/") + 1);
    cleanups.push(() => releaseLease(connection, lease));
    await waitForLease(connection, lease, {
      timeoutMs: config.leases.acquisition_timeout * 1000,
      retryTimeoutMs: config.leases.retry_timeout * 1000,
    });
    const dir = await Deno.makeTempDir({ prefix: "jumpstarter-test-" });
    cleanups.push(() => Deno.remove(dir, { recursive: true }));
    const socket = openLeaseSocket(connection, lease, {
      path: `${dir}/socket`,
      dialTimeoutMs: config.leases.dial_timeout * 1000,
    });
    cleanups.push(() => socket.close());
    const handle = await openExporter(socket.path, {
      policy: config.drivers,
      registry: options.registry,
    });
    cleanups.push(() => handle.close());
    return { handle, lease, close };
  } catch (error) {
    await close();
    throw error;
  }
}
