/**
 * The scheduler as the controller's lease engine: its errors become gRPC statuses, and
 * "online" means what the controller sees (an open Status stream or a recent heartbeat).
 */
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import type { ControllerCore, LeaseEngine } from "./core.ts";
import { StoreConflictError } from "./store/etcd_guard.ts";
import { EtcdStore } from "./store/etcd_store.ts";
import type { Store } from "./store/types.ts";
import {
  type AccessPolicy,
  Scheduler,
  SchedulerError,
  type SchedulerErrorCode,
} from "./scheduler/mod.ts";

const CODES: Record<SchedulerErrorCode, Code> = {
  InvalidArgument: Code.INVALID_ARGUMENT,
  NotFound: Code.NOT_FOUND,
  AlreadyExists: Code.ALREADY_EXISTS,
  FailedPrecondition: Code.FAILED_PRECONDITION,
  // upstream's controller answers plain errors here, which clients see as UNKNOWN
  PermissionDenied: Code.UNKNOWN,
};

/** How many times a call decided on a stale cache is decided again (replicas on etcd). */
const CONFLICT_RETRIES = 5;

/**
 * Runs `work`, mapping scheduler errors to gRPC ones. A lease write another replica beat
 * (StoreConflictError) is decided again once this replica's cache caught up with that write.
 */
async function mapped<T>(store: Store, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (error instanceof SchedulerError) {
        throw new JumpstarterError(error.message, { code: CODES[error.code], cause: error });
      }
      if (!(error instanceof StoreConflictError) || attempt === CONFLICT_RETRIES) throw error;
      if (store instanceof EtcdStore) await store.waitForRevision(error.revision);
    }
  }
}

/** Builds the default engine for a controller core, under `policies` if given. */
export function schedulerEngine(
  core: ControllerCore,
  policies?: () => readonly AccessPolicy[],
): LeaseEngine {
  const scheduler = new Scheduler(core.store, {
    clock: { now: () => core.now() },
    isOnline: (exporter) => core.isOnline(exporter),
    // among controller replicas, only the leader assigns and expires (see replica.ts)
    decides: () => core.peers?.isLeader ?? true,
    ...(policies ? { policies } : {}),
  });
  return {
    create: (spec) => mapped(core.store, () => scheduler.createLease(spec)),
    update: (namespace, name, changes) =>
      mapped(core.store, () => scheduler.updateLease(namespace, name, changes)),
    release: (namespace, name, reason) =>
      mapped(
        core.store,
        async () => (await scheduler.releaseLease(namespace, name, { message: reason })).changed,
      ),
    releaseFor: (namespace, name, who) =>
      mapped(core.store, async () => (await scheduler.releaseLease(namespace, name, who)).changed),
    exporterUpdated: (record) => mapped(core.store, () => scheduler.exporterUpdated(record)),
    reconcile: () => mapped(core.store, () => scheduler.reconcile()),
    queueInfo: (namespace, name) => scheduler.queueInfo(namespace, name),
    nextWakeup: (pendingRecheckMs) => scheduler.nextWakeup(pendingRecheckMs),
    activeLease: (namespace, exporter) => scheduler.activeLease(namespace, exporter),
  };
}
