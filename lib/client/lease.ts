/**
 * Leases from the client side: create, wait until Ready (with the queue position our controller
 * publishes), dial the exporter through a local socket, release.
 */
/**
 * @ignore For `deno doc --lint` only: on a file's first statement this tag exempts the file's
 * public types from needing what they reference exported from the linted modules. It is here for
 * grpc-js's `Metadata`, the generated `Condition` and `Lease`, and lib/tunnel's
 * `TunnelListener` and `RouterChannels`, documented by their own packages (re-exporting them
 * would lint their declarations).
 */
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { clientV1, type Condition } from "@jumpstarter/protos";
import {
  Code,
  ESTIMATED_WAIT_KEY,
  isConnectionLoss,
  JumpstarterError,
  QUEUE_POSITION_KEY,
  WAITER_METADATA_KEY,
} from "@jumpstarter/lib/wire";
import { listenForLease, RouterChannels, type TunnelListener } from "@jumpstarter/lib/tunnel";
import { controllerCall, type ControllerConnection } from "@jumpstarter/lib/controller_api";

/** A lease as `ClientService` returns it (`jumpstarter.client.v1.Lease`). */
export type Lease = clientV1.Lease;

export { ESTIMATED_WAIT_KEY, QUEUE_POSITION_KEY };

/** A lease that cannot be (or is no longer) granted. */
export class LeaseError extends JumpstarterError {
  /** `message` says why, as the controller's lease condition did. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LeaseError";
  }
}

/** What to ask for. */
export interface LeaseRequest {
  /** Label selector, e.g. `board=rpi4,lab in (a,b)`. */
  selector?: string;
  /** Lease this exporter by name instead of (or as well as) by selector. */
  exporterName?: string;
  /** How long the lease lasts once it begins, in milliseconds (default: the controller's). */
  durationMs?: number;
  /** A scheduled start instead of as soon as possible. */
  beginTime?: Date;
  /** Tags kept on the lease, for filtering `listLeases` (`tagFilter`). */
  tags?: Record<string, string>;
  /** Free-form entries the controller keeps with the lease (upstream HEAD `context`). */
  context?: Record<string, string>;
  /** With `exporterName`: lease it even when an admin disabled it. */
  allowDisabled?: boolean;
  /** A name of the client's choosing (else the controller picks a UUIDv7). */
  name?: string;
}

/** `namespaces/<ns>/leases/<name>`. */
export function leaseResourceName(namespace: string, name: string): string {
  return `namespaces/${namespace}/leases/${name}`;
}

/** The bare name of a resource name (`namespaces/ns/leases/x` -> `x`). */
export function bareName(resourceName: string): string {
  return resourceName.slice(resourceName.lastIndexOf("/") + 1);
}

/** The first condition of `type`, as upstream clients read them. */
export function conditionOf(lease: Lease, type: string): Condition | undefined {
  return lease.conditions.find((condition) => condition.type === type);
}

/** Queue position and estimated wait of a pending lease, when the controller says. */
export function queueInfo(lease: Lease): { position?: number; estimatedWaitSeconds?: number } {
  const position = Number(lease.context[QUEUE_POSITION_KEY]);
  const wait = Number(lease.context[ESTIMATED_WAIT_KEY]);
  return {
    ...(Number.isFinite(position) && position > 0 ? { position } : {}),
    ...(Number.isFinite(wait) && lease.context[ESTIMATED_WAIT_KEY] !== undefined
      ? { estimatedWaitSeconds: wait }
      : {}),
  };
}

/** Creates a lease. */
export function createLease(
  connection: ControllerConnection,
  request: LeaseRequest,
): Promise<Lease> {
  const { namespace } = connection.identity;
  return controllerCall(() =>
    connection.clients.createLease({
      parent: `namespaces/${namespace}`,
      leaseId: request.name ?? "",
      lease: create(clientV1.LeaseSchema, {
        selector: request.selector ?? "",
        ...(request.durationMs === undefined
          ? {}
          : { duration: durationFromMs(request.durationMs) }),
        ...(request.beginTime ? { beginTime: timestampFromMs(request.beginTime.getTime()) } : {}),
        ...(request.exporterName ? { exporterName: request.exporterName } : {}),
        tags: request.tags ?? {},
        context: request.context ?? {},
        allowDisabled: request.allowDisabled ?? false,
      }),
    })
  );
}

/** Reads a lease by bare name (`metadata`: extra call metadata). */
export function getLease(
  connection: ControllerConnection,
  name: string,
  metadata?: grpc.Metadata,
): Promise<Lease> {
  return controllerCall(() =>
    connection.clients.getLease(
      { name: leaseResourceName(connection.identity.namespace, name) },
      metadata ? { metadata } : {},
    )
  );
}

/**
 * Metadata telling our controller that this client waits for the lease and will release it
 * on exit, so that if the polls stop for `patienceMs` (the client was killed) it may drop the
 * lease. Upstream's controller ignores it.
 */
function waiterMetadata(patienceMs: number): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(WAITER_METADATA_KEY, String(Math.ceil(patienceMs / 1000)));
  return metadata;
}

/** What {@linkcode listLeases} asks for. */
export interface ListLeasesOptions {
  /** Label selector on the lease. */
  filter?: string;
  /** Label selector on the lease's tags. */
  tagFilter?: string;
  /** Ended leases too. */
  all?: boolean;
  /** Every client's leases in the namespace, not only the caller's. */
  allClients?: boolean;
}

/** Lists leases in the caller's namespace; its own unless `allClients`. */
export async function listLeases(
  connection: ControllerConnection,
  options: ListLeasesOptions = {},
): Promise<Lease[]> {
  const { namespace, name } = connection.identity;
  const { leases } = await controllerCall(() =>
    connection.clients.listLeases({
      parent: `namespaces/${namespace}`,
      filter: options.filter ?? "",
      tagFilter: options.tagFilter ?? "",
      onlyActive: !options.all,
    })
  );
  return options.allClients
    ? leases
    : leases.filter((lease) => lease.client !== undefined && bareName(lease.client) === name);
}

/** Releases a lease (DeleteLease marks it released; the record stays). */
export async function releaseLease(connection: ControllerConnection, name: string): Promise<void> {
  await controllerCall(() =>
    connection.clients.deleteLease({
      name: leaseResourceName(connection.identity.namespace, name),
    })
  );
}

/** Options of {@linkcode waitForLease}. */
export interface WaitOptions {
  /** Give up waiting after this many milliseconds (default two hours). */
  timeoutMs?: number;
  /** Milliseconds between two polls of the lease (default 1000). */
  pollMs?: number;
  /** Aborting stops the wait with the signal's reason. */
  signal?: AbortSignal;
  /** Called on every poll while the lease is not ready yet. */
  onWaiting?: (lease: Lease) => void;
  /**
   * How long to keep retrying while the controller is unreachable (upstream's `retry_timeout`,
   * counted from the first failed poll of a run of failures); 0 fails at the first. Default 300 s.
   */
  retryTimeoutMs?: number;
  /** Called before each retry of an unreachable controller, with what failed. */
  onRetry?: (error: JumpstarterError, retryInMs: number) => void;
  /**
   * This process created the lease and releases it on exit: let the controller drop it if the
   * polls stop for longer than a retrying client would go without one (the process was killed).
   */
  ownedByWaiter?: boolean;
}

/**
 * Whether a controller call failed because the controller could not be reached (yet) or its
 * connection broke under the call (a replica killed: the next call goes to another).
 */
export function isTransient(error: unknown): error is JumpstarterError {
  return error instanceof JumpstarterError && isConnectionLoss(error);
}

/** Sleeps `ms`, or rejects with the signal's reason once it aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * GetLease, retried with backoff (1 s doubling to 10 s) while the controller is unreachable,
 * for up to `retryTimeoutMs`; then a LeaseError naming the controller's last error.
 */
async function getLeaseRetrying(
  connection: ControllerConnection,
  name: string,
  options: WaitOptions,
): Promise<Lease> {
  const budget = options.retryTimeoutMs ?? 300_000;
  const metadata = options.ownedByWaiter
    ? waiterMetadata(budget + 3 * (options.pollMs ?? 1000) + 10_000)
    : undefined;
  let firstFailure: number | undefined;
  let backoff = 1000;
  while (true) {
    try {
      return await getLease(connection, name, metadata);
    } catch (error) {
      if (!isTransient(error)) throw error;
      firstFailure ??= Date.now();
      const left = firstFailure + budget - Date.now();
      if (left <= 0) {
        throw new LeaseError(
          `the controller at ${connection.identity.endpoint} stayed unreachable for ` +
            `${Math.round((Date.now() - firstFailure) / 1000)} s while waiting for lease ${name} ` +
            `(retry_timeout ${Math.round(budget / 1000)} s): ${error.message}`,
          { cause: error },
        );
      }
      const wait = Math.min(backoff, left);
      options.onRetry?.(error, wait);
      await pause(wait, options.signal);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }
}

/**
 * Polls until the lease is Ready, with upstream's decision order on conditions; an unreachable
 * controller is retried for `retryTimeoutMs`.
 *
 * @throws {LeaseError} when it is unsatisfiable, invalid, released, expired or times out, or the
 * controller stays unreachable.
 */
export async function waitForLease(
  connection: ControllerConnection,
  name: string,
  options: WaitOptions = {},
): Promise<Lease> {
  const deadline = Date.now() + (options.timeoutMs ?? 7200_000);
  while (true) {
    options.signal?.throwIfAborted();
    const lease = await getLeaseRetrying(connection, name, options);
    const ready = conditionOf(lease, "Ready");
    const unsatisfiable = conditionOf(lease, "Unsatisfiable");
    const invalid = conditionOf(lease, "Invalid");
    const pending = conditionOf(lease, "Pending");
    if (ready?.status === "True") return lease;
    if (unsatisfiable?.status === "True") {
      throw new LeaseError(`the lease cannot be satisfied: ${unsatisfiable.message ?? ""}`);
    }
    if (invalid?.status === "True") {
      throw new LeaseError(`the lease is invalid: ${invalid.message ?? ""}`);
    }
    if (ready?.status === "False") {
      throw new LeaseError(`lease ${name} ${(ready.reason ?? "ended").toLowerCase()}`);
    }
    if (pending?.status === "False") throw new LeaseError(`lease ${name} is no longer pending`);
    options.onWaiting?.(lease);
    if (Date.now() >= deadline) {
      throw new LeaseError(`lease ${name} acquisition timed out`);
    }
    await pause(options.pollMs ?? 1000, options.signal);
  }
}

/** Options of {@linkcode openLeaseSocket}. */
export interface LeaseSocketOptions {
  /** Socket path to create. */
  path: string;
  /** Told about each tunnelled connection that failed (the socket keeps listening). */
  onError?: (error: unknown) => void;
  /**
   * How long one connection keeps retrying `Dial` while the exporter is not ready yet or the
   * controller is unavailable (upstream's `dial_timeout`); default 60 s.
   */
  dialTimeoutMs?: number;
}

/** Whether a Dial failure is worth retrying: the exporter is not ready yet, or no controller. */
function retriableDial(error: unknown): boolean {
  return isTransient(error) ||
    (error instanceof JumpstarterError && error.code === Code.FAILED_PRECONDITION &&
      error.message.includes("not ready"));
}

/** `Dial`, retried with backoff (0.3 s doubling to 2 s) as upstream's client does. */
export async function dialWithRetry(
  connection: ControllerConnection,
  leaseName: string,
  dialTimeoutMs = 60_000,
): Promise<{ routerEndpoint: string; routerToken: string }> {
  const deadline = Date.now() + dialTimeoutMs;
  for (let attempt = 0;; attempt++) {
    try {
      return await controllerCall(() => connection.controller.dial({ leaseName }));
    } catch (error) {
      const left = deadline - Date.now();
      if (!retriableDial(error)) throw error;
      if (left <= 0) {
        throw new LeaseError(
          `the exporter of lease ${leaseName} was not ready within the dial timeout ` +
            `(${Math.round(dialTimeoutMs / 1000)} s): ${(error as Error).message}`,
          { cause: error },
        );
      }
      await pause(Math.min(300 * 2 ** Math.min(attempt, 10), 2000, left));
    }
  }
}

/**
 * Listens on a local Unix socket whose every connection is tunnelled to the leased exporter
 * (one `Dial` per connection). Point `JUMPSTARTER_HOST` at `path`.
 */
export function openLeaseSocket(
  connection: ControllerConnection,
  leaseName: string,
  options: LeaseSocketOptions,
): TunnelListener & { routers: RouterChannels } {
  const identity = connection.identity;
  const routers = new RouterChannels({
    ...(identity.plaintext ? { plaintext: true } : {}),
    ...(identity.tls ? { tls: identity.tls } : {}),
  });
  const listener = listenForLease({
    path: options.path,
    routers,
    dial: () => dialWithRetry(connection, leaseName, options.dialTimeoutMs),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const close = async () => {
    await listener.close();
    routers.close();
  };
  return {
    path: listener.path,
    routers,
    endTunnels: () => listener.endTunnels(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
