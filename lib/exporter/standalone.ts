/**
 * Direct mode's single lease (upstream's "standalone" exporter): the beforeLease hook runs once
 * when the exporter starts, the afterLease hook when it stops, with the statuses of a lease around
 * them. Hooks reach the session through a private Unix socket of their own.
 */
import { ExporterStatus } from "@jumpstarter/protos";
import type { ExporterConfig } from "@jumpstarter/lib/config";
import { LeaseContext, Milestone } from "./lease_context.ts";
import { type LeasePhaseActions, runAfterLease, runBeforeLease } from "./lease_hooks.ts";
import { privateSocketPath, serveSession } from "./server.ts";
import type { Session } from "./session.ts";

/** The running standalone lease. */
export interface StandaloneLease {
  /** The beforeLease phase is over (LEASE_READY, or a hook failure status). */
  readonly ready: Promise<void>;
  /** Runs the afterLease phase and closes the hook socket; call before closing the session. */
  close(): Promise<void>;
}

/** Options of {@linkcode startStandaloneLease}. */
export interface StandaloneOptions {
  /** The operator's log. */
  log?: (message: string) => void;
  /** A hook with `onFailure: exit` failed: the exporter should stop with this code. */
  onExit?: (exitCode: number) => void;
}

/** Starts the beforeLease phase on `session` (already open) and returns at once. */
export async function startStandaloneLease(
  session: Session,
  config: ExporterConfig,
  options: StandaloneOptions = {},
): Promise<StandaloneLease> {
  const socket = await privateSocketPath();
  const server = await serveSession(session, socket.path);
  const lease = new LeaseContext({
    name: "standalone",
    client: "",
    session,
    server,
    dir: socket.dir,
    endSessionRequested: new Milestone(),
  });
  const { beforeLease, afterLease } = config.hooks;
  const log = options.log ?? (() => {});
  const actions: LeasePhaseActions = {
    beforeLease,
    afterLease,
    report: (status, message) => Promise.resolve(session.setStatus(status, message)),
    // no controller: releasing only ends this lease
    releaseLease: () => Promise.resolve(lease.ended.set()),
    stopAfterLease: (exitCode) => options.onExit?.(exitCode),
    log,
  };
  const hooks = Boolean(beforeLease || afterLease);
  const ready = hooks ? runBeforeLease(lease, actions) : Promise.resolve().then(() => {
    session.setStatus(ExporterStatus.LEASE_READY, "Ready for commands");
    lease.beforeLeaseDone.set();
  });
  ready.catch((error) => log(`beforeLease phase failed: ${error}`));
  let closing: Promise<void> | undefined;
  return {
    ready,
    close: () =>
      closing ??= (async () => {
        await lease.beforeLeaseDone.wait();
        if (hooks && !lease.skipAfterLeaseHook) {
          await runAfterLease(lease, actions).catch((error) =>
            log(`afterLease phase failed: ${error}`)
          );
        }
        await server.close();
        await Deno.remove(socket.dir, { recursive: true }).catch(() => {});
      })(),
  };
}
