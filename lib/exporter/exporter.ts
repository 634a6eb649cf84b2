/**
 * Distributed mode: an exporter registered with a controller. It registers its driver report,
 * keeps the Status stream open (the heartbeat), and for each lease builds a fresh driver tree,
 * serves it on a private socket, runs the hooks, and bridges every ListenResponse ticket through
 * the router to that socket. Statuses and the end of a session follow upstream HEAD
 * (spec/protocol.md 7.3, 7.4): the session keeps answering GetStatus after EndSession until the
 * afterLease phase is over and the exporter is AVAILABLE.
 */
import { ExporterStatus } from "@jumpstarter/protos";
import type { ExporterConfig } from "@jumpstarter/lib/config";
import { type DriverRegistry, NAME_LABEL } from "@jumpstarter/lib/driver";
import {
  connectController,
  controllerCall,
  type ControllerConnection,
} from "@jumpstarter/lib/controller_api";
import { RouterChannels, serveTicket } from "@jumpstarter/lib/tunnel";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import { followStream, type RetryOptions, retryWhileDisconnected } from "./controller_retry.ts";
import { LeaseContext, Milestone } from "./lease_context.ts";
import { type LeasePhaseActions, runAfterLease, runBeforeLease } from "./lease_hooks.ts";
import { privateSocketPath, serveSession } from "./server.ts";
import { Session } from "./session.ts";
import { buildDriverTree } from "./tree.ts";

/** Options of {@linkcode Exporter}. */
export interface ExporterOptions {
  /** Driver types by config `type:` name: the program's, from `driverRegistryOf(packages)`. */
  registry: DriverRegistry;
  /** Lifecycle messages (registration, leases, retries), for the operator's log. */
  log?: (message: string) => void;
  /** Plaintext to the controller and routers (tests, `--insecure-plaintext` controllers). */
  plaintext?: boolean;
  /** Pause before retrying a broken Status or Listen stream (doubles up to 5 s). */
  retryMs?: number;
}

/** ReleaseLease refusals meaning "this controller does not let exporters release" (upstream). */
const RELEASE_UNSUPPORTED = new Set([
  Code.PERMISSION_DENIED,
  Code.INVALID_ARGUMENT,
  Code.UNAUTHENTICATED,
  Code.UNIMPLEMENTED,
]);

function isUnimplemented(error: unknown): boolean {
  return error instanceof JumpstarterError && error.code === Code.UNIMPLEMENTED;
}

/** A registered exporter; `run()` serves until the signal aborts (or a hook's `exit` policy). */
export class Exporter {
  readonly config: ExporterConfig;
  readonly #options: ExporterOptions;
  #connection: ControllerConnection | undefined;
  #routers: RouterChannels;
  #lease: LeaseContext | undefined;
  readonly #instance = crypto.randomUUID();
  #status: ExporterStatus = ExporterStatus.OFFLINE;
  /** The last status report (never rejects); the next waits for it. */
  #reports: Promise<void> = Promise.resolve();
  #stop = new AbortController();
  #stopAfterLease = false;
  #exitCode: number | undefined;

  constructor(config: ExporterConfig, options: ExporterOptions) {
    this.config = config;
    this.#options = options;
    this.#routers = new RouterChannels({
      ...(options.plaintext ? { plaintext: true } : {}),
      tls: config.tls,
    });
  }

  /** Set when a hook's `exit` policy stopped the exporter: the process should exit with it. */
  get exitCode(): number | undefined {
    return this.#exitCode;
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
      // lets the controller refuse a second process serving the same exporter
      instance: this.#instance,
      ...(this.#options.plaintext ? { plaintext: true } : {}),
    });
  }

  /** Sent once every earlier report was answered: the controller handles calls in any order. */
  #reportStatus(status: ExporterStatus, message: string, releaseLease = false): Promise<void> {
    return this.#reports = this.#reports.then(() => this.#send(status, message, releaseLease));
  }

  async #send(status: ExporterStatus, message: string, releaseLease: boolean): Promise<void> {
    try {
      await this.#retrying(() =>
        this.#connection!.controller.reportStatus({
          status,
          message,
          ...(releaseLease ? { releaseLease } : {}),
        })
      );
    } catch (error) {
      if (!isUnimplemented(error)) {
        this.#log(`Cannot report status ${ExporterStatus[status]}: ${error}`);
      }
    }
  }

  /** A controller call, retried while the connection to the controller is lost. */
  #retrying<T>(call: () => Promise<T>): Promise<T> {
    return retryWhileDisconnected(
      () => controllerCall(call),
      this.#retryOptions(this.#stop.signal),
    );
  }

  #retryOptions(signal: AbortSignal): RetryOptions {
    return { signal, retryMs: this.#options.retryMs ?? 500, log: (m) => this.#log(m) };
  }

  /** The exporter's status: on the lease's session (GetStatus) first, then to the controller. */
  async #report(lease: LeaseContext | undefined, status: ExporterStatus, message: string) {
    this.#status = status;
    lease?.session.setStatus(status, message);
    await this.#reportStatus(status, message);
  }

  async #register(): Promise<void> {
    const root = await buildDriverTree(this.config, { registry: this.#options.registry });
    const session = new Session(root);
    try {
      this.#log("Registering exporter with controller");
      await controllerCall(() =>
        this.#connection!.controller.register({
          labels: { [NAME_LABEL]: this.config.metadata.name },
          reports: session.reports(),
        })
      );
    } finally {
      await session.close();
    }
    await this.#report(undefined, ExporterStatus.AVAILABLE, "Exporter registered and available");
  }

  /** Serves until `signal` aborts, then reports Offline and unregisters. */
  async run(signal: AbortSignal): Promise<void> {
    this.#stop = new AbortController();
    const stop = () => this.#stop.abort();
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    this.#connection = await this.#connect();
    try {
      await this.#register();
    } catch (error) {
      // never registered: nothing to report or unregister
      this.#routers.close();
      this.#connection.close();
      this.#connection = undefined;
      signal.removeEventListener("abort", stop);
      throw error;
    }
    try {
      await this.#watchStatus(this.#stop.signal);
    } finally {
      signal.removeEventListener("abort", stop);
      await this.#shutdown();
    }
  }

  #watchStatus(signal: AbortSignal): Promise<void> {
    return followStream(
      "Status",
      (signal) => this.#connection!.controller.status({}, { signal }),
      (status) => this.#onStatus(status.leased, status.leaseName ?? "", status.clientName ?? ""),
      {
        ...this.#retryOptions(signal),
        // another process took these credentials over while the stream was down: stop, clearly
        fatal: (details) =>
          /from another process with the same/.test(details)
            ? new JumpstarterError(details)
            : undefined,
      },
    );
  }

  async #onStatus(leased: boolean, leaseName: string, client: string): Promise<void> {
    const current = this.#lease;
    if (current && (!leased || current.name !== leaseName)) {
      this.#log(`Lease ${current.name} ended`);
      current.ended.set();
      await current.finished;
    } else if (current && leased) {
      current.client = client;
    }
    if (leased && leaseName && !this.#lease && !this.#stop.signal.aborted) {
      this.#log(`Currently leased by ${client} under ${leaseName}`);
      await this.#startLease(leaseName, client);
    }
  }

  #hooksConfigured(): boolean {
    return Boolean(this.config.hooks.beforeLease || this.config.hooks.afterLease);
  }

  #phaseActions(lease: LeaseContext): LeasePhaseActions {
    return {
      beforeLease: this.config.hooks.beforeLease,
      afterLease: this.config.hooks.afterLease,
      report: (status, message) => this.#report(lease, status, message),
      releaseLease: () => this.#requestLeaseRelease(lease),
      stopAfterLease: (exitCode) => {
        this.#exitCode = exitCode;
        this.#stopAfterLease = true;
      },
      log: (message) => this.#log(message),
    };
  }

  async #startLease(name: string, client: string): Promise<void> {
    const root = await buildDriverTree(this.config, { registry: this.#options.registry });
    const endSessionRequested = new Milestone();
    const session = new Session(root, {
      labels: { [NAME_LABEL]: this.config.metadata.name },
      status: ExporterStatus.AVAILABLE,
      ...(this.config.motd === null ? {} : { motd: this.config.motd }),
      onEndSession: () => endSessionRequested.set(),
    });
    await session.open();
    const socket = await privateSocketPath();
    const server = await serveSession(session, socket.path);
    // our clients' fast-path streams meet ours at the router's splice port (issue 11 item 3)
    server.fastPath?.spliceThrough(
      (token, signal) => this.#routers.splice(token, "exporter", signal),
      () => this.#routers.canSplice,
    );
    const lease = new LeaseContext({
      name,
      client,
      session,
      server,
      dir: socket.dir,
      endSessionRequested,
    });
    this.#lease = lease;
    lease.listening = this.#listen(lease);
    this.#handleEndSession(lease).catch((error) => this.#log(`EndSession failed: ${error}`));
    lease.finished = this.#handleLease(lease);
  }

  /** The lease from its beforeLease phase to the teardown of its session. */
  async #handleLease(lease: LeaseContext): Promise<void> {
    const before = this.#hooksConfigured()
      ? runBeforeLease(lease, this.#phaseActions(lease))
      : this.#report(lease, ExporterStatus.LEASE_READY, "Ready for commands")
        .finally(() => lease.beforeLeaseDone.set());
    const beforeOver = before.catch((error) => this.#log(`beforeLease phase failed: ${error}`));
    await lease.ended.wait();
    await beforeOver; // its release request too: nothing of it may report once the next begins
    await this.#afterLease(lease, "lease end");
    lease.listenAbort.abort();
    await lease.listening.catch(() => {});
    await lease.server.close();
    await lease.session.close().catch((error) => this.#log(`Closing drivers failed: ${error}`));
    await Deno.remove(lease.dir, { recursive: true }).catch(() => {});
    if (this.#lease === lease) this.#lease = undefined;
    // exitOnLeaseEnd: one lease per process, as upstream's `jmp run --exit-on-lease-end`
    if (this.#stopAfterLease || this.config.exitOnLeaseEnd) this.#stop.abort();
  }

  /** EndSession from the client: the afterLease phase runs while the session keeps serving. */
  async #handleEndSession(lease: LeaseContext): Promise<void> {
    await Promise.race([lease.endSessionRequested.wait(), lease.ended.wait()]);
    if (!lease.endSessionRequested.isSet) return;
    this.#log(`EndSession requested on lease ${lease.name}`);
    await this.#afterLease(lease, "EndSession");
  }

  /** Runs the afterLease phase once, whichever of EndSession and the lease end comes first. */
  async #afterLease(lease: LeaseContext, trigger: string): Promise<void> {
    if (lease.afterLeaseStarted.isSet) return await lease.afterLeaseDone.wait();
    lease.afterLeaseStarted.set();
    try {
      if (this.#hooksConfigured() && lease.client && !lease.skipAfterLeaseHook) {
        await runAfterLease(lease, this.#phaseActions(lease));
      } else if (!this.#stopAfterLease) {
        await this.#report(lease, ExporterStatus.AVAILABLE, "Available for new lease");
      }
    } catch (error) {
      this.#log(`afterLease phase after ${trigger} failed: ${error}`);
    } finally {
      lease.afterLeaseDone.set();
    }
  }

  /**
   * Ends the lease from the exporter's side: ReleaseLease, or on a controller that refuses it to
   * exporters, ReportStatus with `release_lease` (never as AVAILABLE, which would let the
   * controller hand the exporter out before the release).
   */
  async #requestLeaseRelease(lease: LeaseContext): Promise<void> {
    if (lease.ended.isSet) {
      // Upstream returns here and so keeps a *_HOOK_FAILED status when the client ended the
      // lease first (HEAD's jmp shell deletes it as soon as it sees the failure), and its
      // controller then never leases the exporter again. Its stated intent is a transient
      // failure status, so we report AVAILABLE as a completed release would.
      if (this.#status !== ExporterStatus.AVAILABLE && !this.#stopAfterLease) {
        await this.#report(lease, ExporterStatus.AVAILABLE, "Available for new lease");
      }
      return;
    }
    try {
      await this.#retrying(() => this.#connection!.controller.releaseLease({ name: lease.name }));
      this.#log(`Released lease ${lease.name}`);
    } catch (error) {
      const code = error instanceof JumpstarterError ? error.code : undefined;
      if (code !== undefined && RELEASE_UNSUPPORTED.has(code)) {
        const status = this.#status === ExporterStatus.AVAILABLE
          ? ExporterStatus.AFTER_LEASE_HOOK
          : this.#status;
        await this.#reportStatus(
          status,
          "Lease released (compat: ReportStatus with release_lease)",
          true,
        );
      } else {
        this.#log(`Cannot release lease ${lease.name}, proceeding to AVAILABLE: ${error}`);
      }
    }
    await this.#report(lease, ExporterStatus.AVAILABLE, "Exporter available after lease release");
    lease.ended.set();
  }

  #listen(lease: LeaseContext): Promise<void> {
    const signal = lease.listenAbort.signal;
    this.#log(`Listening for incoming connection requests on lease ${lease.name}`);
    return followStream(
      "Listen",
      (signal) => this.#connection!.controller.listen({ leaseName: lease.name }, { signal }),
      (ticket) => {
        // tickets wait for the beforeLease phase, as upstream buffers them
        if (!lease.beforeLeaseDone.isSet) this.#log("Connection held until beforeLease ends");
        lease.beforeLeaseDone.wait()
          .then(() => serveTicket(lease.server.address, ticket, this.#routers, signal))
          .catch((error) =>
            this.#log(`Connection through the router failed: ${(error as Error).message}`)
          );
      },
      this.#retryOptions(signal),
    );
  }

  async #shutdown(): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    const lease = this.#lease;
    if (lease) {
      lease.ended.set();
      await lease.finished?.catch(() => {});
    }
    await this.#report(undefined, ExporterStatus.OFFLINE, "Exporter shutting down");
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
