/**
 * The scheduler as the controller's lease engine: its errors become gRPC statuses, and
 * "online" means what the controller sees (an open Status stream or a recent heartbeat).
 */
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import type { ControllerCore, LeaseEngine } from "./core.ts";
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

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SchedulerError) {
      throw new JumpstarterError(error.message, { code: CODES[error.code], cause: error });
    }
    throw error;
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
    ...(policies ? { policies } : {}),
  });
  return {
    create: (spec) => mapped(() => scheduler.createLease(spec)),
    update: (namespace, name, changes) =>
      mapped(() => scheduler.updateLease(namespace, name, changes)),
    release: (namespace, name, reason) =>
      mapped(async () =>
        (await scheduler.releaseLease(namespace, name, { message: reason })).changed
      ),
    releaseFor: (namespace, name, who) =>
      mapped(async () => (await scheduler.releaseLease(namespace, name, who)).changed),
    exporterUpdated: (record) => mapped(() => scheduler.exporterUpdated(record)),
    reconcile: () => mapped(() => scheduler.reconcile()),
    queueInfo: (namespace, name) => scheduler.queueInfo(namespace, name),
    nextWakeup: () => scheduler.nextWakeup(),
    activeLease: (namespace, exporter) => scheduler.activeLease(namespace, exporter),
  };
}
