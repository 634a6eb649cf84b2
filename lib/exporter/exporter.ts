/**
 * Distributed mode: an exporter registered with a controller. It registers its driver report,
 * keeps the Status stream open (the heartbeat), and for each lease builds a fresh driver tree,
 * serves it on a private socket, runs the hooks, and bridges every ListenResponse ticket through
 * the router to that socket (spec/protocol.md 7.3).
 */
import { ExporterStatus } from "@jumpstarter/protos";
import type { ExporterConfig, HookInstance } from "@jumpstarter/lib/config";
import type { LogRecord } from "@jumpstarter/lib/driver";
import {
  connectController,
  controllerCall,
  type ControllerConnection,
} from "@jumpstarter/lib/client/controller";
import { RouterChannels, serveTicket } from "@jumpstarter/lib/tunnel";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import { runHook } from "./hooks.ts";
import type { DriverRegistry } from "./registry.ts";
import { privateSocketPath, serveSession, type SessionServer } from "./server.ts";
import { Session } from "./session.ts";
import { buildDriverTree } from "./tree.ts";

/** Options of {@linkcode Exporter}. */
export interface ExporterOptions {
  registry?: DriverRegistry;
  /** Lifecycle messages (registration, leases, retries), for the operator's log. */
  log?: (message: string) => void;
  /** Plaintext to the controller and routers (tests, `--insecure-plaintext` controllers). */
  plaintext?: boolean;
  /** Pause before retrying a broken Status or Listen stream (doubles up to 5 s). */
  retryMs?: number;
}

interface ActiveLease {
  name: string;
  client: string;
  session: Session;
  server: SessionServer;
  dir: string;
  abort: AbortController;
  listening: Promise<void>;
  ending?: Promise<void>;
}

function isUnimplemented(error: unknown): boolean {
  return error instanceof JumpstarterError && error.code === Code.UNIMPLEMENTED;
}

/** A registered exporter; `run()` serves until the signal aborts. */
export class Exporter {
  readonly config: ExporterConfig;
  readonly #options: ExporterOptions;
  #connection: ControllerConnection | undefined;
  #routers: RouterChannels;
  #lease: ActiveLease | undefined;

  constructor(config: ExporterConfig, options: ExporterOptions = {}) {
    this.config = config;
    this.#options = options;
    this.#routers = new RouterChannels({
      ...(options.plaintext ? { plaintext: true } : {}),
      tls: config.tls,
    });
  }

  #log(message: string): void {
    this.#options.log?.(message);
  }

  async #connect(): Promise<ControllerConnection> {
    const { endpoint, token, metadata, tls, grpcOptions } = this.config;
    if (!endpoint || !token) {
      throw new JumpstarterError(
        `Cannot register "${this.config.path}": endpoint or token not set in the exporter config`,
      );
    }
    return await connectController({
      endpoint,
      token,
      namespace: metadata.namespace,
      name: metadata.name,
      kind: "Exporter",
      tls,
      grpcOptions,
      ...(this.#options.plaintext ? { plaintext: true } : {}),
    });
  }

  async #reportStatus(status: ExporterStatus, message: string): Promise<void> {
    try {
      await controllerCall(() => this.#connection!.controller.reportStatus({ status, message }));
    } catch (error) {
      if (!isUnimplemented(error)) {
        this.#log(`Cannot report status ${ExporterStatus[status]}: ${error}`);
      }
    }
  }

  async #register(): Promise<void> {
    const root = await buildDriverTree(this.config, this.#registryOption());
    const session = new Session(root);
    try {
      this.#log("Registering exporter with controller");
      await controllerCall(() =>
        this.#connection!.controller.register({
          labels: { "jumpstarter.dev/name": this.config.metadata.name },
          reports: session.reports(),
        })
      );
    } finally {
      await session.close();
    }
    await this.#reportStatus(ExporterStatus.AVAILABLE, "Exporter registered and available");
  }

  #registryOption() {
    return this.#options.registry ? { registry: this.#options.registry } : {};
  }

  /** Serves until `signal` aborts, then reports Offline and unregisters. */
  async run(signal: AbortSignal): Promise<void> {
    this.#connection = await this.#connect();
    try {
      await this.#register();
    } catch (error) {
      // never registered: nothing to report or unregister
      this.#routers.close();
      this.#connection.close();
      this.#connection = undefined;
      throw error;
    }
    try {
      await this.#watchStatus(signal);
    } finally {
      await this.#shutdown();
    }
  }

  async #watchStatus(signal: AbortSignal): Promise<void> {
    let pause = this.#options.retryMs ?? 500;
    while (!signal.aborted) {
      try {
        for await (
          const status of this.#connection!.controller.status({}, { signal })
        ) {
          pause = this.#options.retryMs ?? 500;
          await this.#onStatus(status.leased, status.leaseName ?? "", status.clientName ?? "");
        }
      } catch (error) {
        if (signal.aborted) return;
        this.#log(
          `Status stream interrupted, retrying in ${pause} ms: ${(error as Error).message}`,
        );
      }
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 5000);
    }
  }

  async #onStatus(leased: boolean, leaseName: string, client: string): Promise<void> {
    const current = this.#lease;
    if (current && (!leased || current.name !== leaseName)) {
      this.#log(`Lease ${current.name} ended`);
      await this.#endLease(current);
    }
    if (leased && leaseName && this.#lease?.name !== leaseName) {
      this.#log(`Currently leased by ${client} under ${leaseName}`);
      await this.#startLease(leaseName, client);
    }
  }

  async #startLease(name: string, client: string): Promise<void> {
    const root = await buildDriverTree(this.config, this.#registryOption());
    const session = new Session(root, {
      labels: { "jumpstarter.dev/name": this.config.metadata.name },
      status: ExporterStatus.AVAILABLE,
      ...(this.config.motd === null ? {} : { motd: this.config.motd }),
      onEndSession: () => {
        const lease = this.#lease;
        if (lease?.name === name) void this.#endLease(lease);
      },
    });
    await session.open();
    const socket = await privateSocketPath();
    const server = await serveSession(session, socket.path);
    const abort = new AbortController();
    const lease: ActiveLease = {
      name,
      client,
      session,
      server,
      dir: socket.dir,
      abort,
      listening: Promise.resolve(),
    };
    this.#lease = lease;
    const hooksOk = await this.#runHook(lease, this.config.hooks.beforeLease, "before");
    lease.listening = this.#listen(lease);
    if (hooksOk) {
      session.setStatus(ExporterStatus.LEASE_READY, "Ready for commands");
      await this.#reportStatus(ExporterStatus.LEASE_READY, "Ready for commands");
    }
  }

  async #runHook(
    lease: ActiveLease,
    hook: HookInstance | null,
    when: "before" | "after",
  ): Promise<boolean> {
    if (!hook) return true;
    const running = when === "before"
      ? ExporterStatus.BEFORE_LEASE_HOOK
      : ExporterStatus.AFTER_LEASE_HOOK;
    const failed = when === "before"
      ? ExporterStatus.BEFORE_LEASE_HOOK_FAILED
      : ExporterStatus.AFTER_LEASE_HOOK_FAILED;
    lease.session.setStatus(running, `Running ${when}Lease hook`);
    await this.#reportStatus(running, `Running ${when}Lease hook`);
    const result = await runHook(hook, {
      host: lease.server.address,
      leaseName: lease.name,
      clientName: lease.client,
      log: (line, severity) => {
        const record: LogRecord = {
          severity,
          message: line,
          source: `hook.${when}Lease`,
          timestamp: new Date(),
        };
        lease.session.log(record);
      },
    });
    if (result.ok) return true;
    const message = `${when}Lease hook failed: ${result.message}`;
    this.#log(message);
    if (hook.onFailure === "warn") return true;
    lease.session.setStatus(failed, message);
    await this.#reportStatus(failed, message);
    if (hook.onFailure === "endLease") {
      await controllerCall(() => this.#connection!.controller.releaseLease({ name: lease.name }))
        .catch((error) => this.#log(`Cannot release lease ${lease.name}: ${error}`));
    }
    return false;
  }

  async #listen(lease: ActiveLease): Promise<void> {
    let pause = this.#options.retryMs ?? 500;
    this.#log(`Listening for incoming connection requests on lease ${lease.name}`);
    while (!lease.abort.signal.aborted) {
      try {
        for await (
          const ticket of this.#connection!.controller.listen(
            { leaseName: lease.name },
            { signal: lease.abort.signal },
          )
        ) {
          pause = this.#options.retryMs ?? 500;
          serveTicket(lease.server.address, ticket, this.#routers).catch((error) =>
            this.#log(`Connection through the router failed: ${(error as Error).message}`)
          );
        }
      } catch (error) {
        if (lease.abort.signal.aborted) return;
        this.#log(
          `Listen stream interrupted, retrying in ${pause} ms: ${(error as Error).message}`,
        );
      }
      if (lease.abort.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 5000);
    }
  }

  #endLease(lease: ActiveLease): Promise<void> {
    lease.ending ??= (async () => {
      if (this.#lease === lease) this.#lease = undefined;
      await this.#runHook(lease, this.config.hooks.afterLease, "after");
      lease.abort.abort();
      await lease.listening.catch(() => {});
      await lease.server.close();
      await lease.session.close().catch((error) => this.#log(`Closing drivers failed: ${error}`));
      await Deno.remove(lease.dir, { recursive: true }).catch(() => {});
      await this.#reportStatus(ExporterStatus.AVAILABLE, "Available for new lease");
    })();
    return lease.ending;
  }

  async #shutdown(): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    if (this.#lease) await this.#endLease(this.#lease).catch(() => {});
    await this.#reportStatus(ExporterStatus.OFFLINE, "Exporter shutting down");
    await controllerCall(() =>
      connection.controller.unregister({ reason: "Exporter shutdown" }, {
        deadline: new Date(Date.now() + 10_000),
      })
    ).catch((error) => this.#log(`Cannot unregister: ${error}`));
    this.#routers.close();
    connection.close();
    this.#connection = undefined;
  }
}
