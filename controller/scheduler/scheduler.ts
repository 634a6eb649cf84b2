/**
 * The lease scheduler: lease lifecycle over a Store, with an injected clock (no gRPC, no timers).
 * Every mutating call is serialised, runs a reconciliation pass at `clock.now()`, persists what
 * changed and returns the changed leases (for status pushes to exporters and watchers). The
 * caller sleeps until `nextWakeup()` and then calls `reconcile()`.
 */
import type { ExporterRecord, LeaseRecord } from "../model.ts";
import type { Store } from "../store/types.ts";
import { cachedSelector, lastSeenWithin, type OnlinePredicate } from "./candidates.ts";
import { type Clock, systemClock } from "./clock.ts";
import { SchedulerError } from "./errors.ts";
import { leaseLabels } from "./labels.ts";
import { LeaseBook } from "./lease_book.ts";
import { isActive, isPending, requestedEnd } from "./lease_time.ts";
import { endLeases, markReleased, type PassContext, runPass } from "./pass.ts";
import type { AccessPolicy, PolicyView } from "./policy.ts";
import { type QueueInfo, queueInfo } from "./queue.ts";
import { matches } from "./selector.ts";
import { uuidv7 } from "./uuid.ts";
import { checkContext, checkName, checkSelector, checkTags, checkTimes } from "./validate.ts";
import { applyUpdate, type UpdateLeaseRequest } from "./update.ts";

export interface SchedulerOptions {
  clock?: Clock;
  /** Default: not reporting Offline and `lastSeen` within 60 s. */
  isOnline?: OnlinePredicate;
  /** Most tags a lease may carry (default 10, upstream's `leasePolicy.maxTags`). */
  maxTags?: number;
  /** Name for a lease created without one (default: UUIDv7 at the given time). */
  newName?: (now: number) => string;
  /** The ExporterAccessPolicies in force, read at every pass (so a reload takes effect). */
  policies?: () => readonly AccessPolicy[];
  /**
   * Whether this scheduler assigns exporters and ends leases (default: always). A controller
   * replica that is not the leader stores what it is asked (a new lease stays pending, a release
   * ends its lease) and leaves every pass to the leader, which sees the change through etcd.
   */
  decides?: () => boolean;
}

export interface CreateLeaseRequest {
  namespace: string;
  /** Client name (same namespace). */
  client: string;
  /** Label selector text; may be empty when `exporterName` is given. */
  selector?: string;
  exporterName?: string;
  duration?: number;
  beginTime?: number;
  endTime?: number;
  tags?: Record<string, string>;
  /** Client-chosen name (HEAD `lease_id`); a UUIDv7 otherwise. */
  name?: string;
  allowDisabled?: boolean;
  /** Free-form k=v the client attaches (at most 8; keys up to 32, values up to 64 chars). */
  context?: Record<string, string>;
}

export interface ListLeasesOptions {
  client?: string;
  /** Only leases that have not ended (default true, as upstream's unset `only_active`). */
  onlyActive?: boolean;
  /** Label selector on the lease's labels (see labels.ts). */
  filter?: string;
  /** Label selector on the lease's tags. */
  tagFilter?: string;
}

export interface ReleaseOptions {
  /** Message of the Ready=False/Released condition. */
  message?: string;
  /**
   * Release on behalf of this exporter (ReleaseLease): it must hold the lease, and releasing an
   * ended lease is a no-op. Without it (DeleteLease), an ended or released lease is an error.
   */
  exporter?: string;
  /** Release on behalf of this client: it must own the lease. */
  client?: string;
}

export interface LeaseResult {
  lease: LeaseRecord;
  /** Every lease the call changed (including `lease` when it changed), FIFO order. */
  changed: LeaseRecord[];
}

export type { UpdateLeaseRequest };

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length &&
    ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function filterFails(text: string, what: string): never {
  throw new SchedulerError("InvalidArgument", `invalid ${what}: ${text}`);
}

export class Scheduler {
  #store: Store;
  #clock: Clock;
  #isOnline: OnlinePredicate;
  #maxTags: number;
  #newName: (now: number) => string;
  #policies: () => readonly AccessPolicy[];
  #decides: () => boolean;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(store: Store, options: SchedulerOptions = {}) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
    this.#isOnline = options.isOnline ?? lastSeenWithin(60_000);
    this.#maxTags = options.maxTags ?? 10;
    this.#newName = options.newName ?? ((now) => uuidv7(now));
    this.#policies = options.policies ?? (() => []);
    this.#decides = options.decides ?? (() => true);
  }

  /** Runs `fn` after every earlier mutating call has finished. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => {});
    return run;
  }

  #policyView(): PolicyView {
    return {
      policies: this.#policies(),
      clientLabels: (namespace, client) => this.#store.clients.get(namespace, client)?.labels ?? {},
    };
  }

  #context(now: number): PassContext {
    return {
      now,
      exporters: this.#store.exporters.list(),
      isOnline: this.#isOnline,
      policy: this.#policyView(),
    };
  }

  async #commit(book: LeaseBook): Promise<LeaseRecord[]> {
    const changed = book.changed();
    await Promise.all(changed.map((l) => this.#store.leases.put(l)));
    return changed;
  }

  #find(book: LeaseBook, namespace: string, name: string): LeaseRecord {
    const lease = book.get(namespace, name);
    if (lease === undefined) {
      throw new SchedulerError("NotFound", `lease ${namespace}/${name} not found`);
    }
    return lease;
  }

  /** Validates and stores a new lease, then schedules. */
  createLease(request: CreateLeaseRequest): Promise<LeaseResult> {
    return this.#exclusive(async () => {
      const now = this.#clock.now();
      const { namespace, client } = request;
      if (namespace === "") throw new SchedulerError("InvalidArgument", "namespace is required");
      if (client === "") throw new SchedulerError("InvalidArgument", "client is required");
      const selector = checkSelector(request.selector, request.exporterName);
      const times = checkTimes(request, now);
      const tags = { ...request.tags };
      checkTags(tags, this.#maxTags);
      if (request.context !== undefined) checkContext(request.context);
      if (request.name !== undefined) checkName(request.name);
      const name = request.name ?? this.#newName(now);
      if (this.#store.leases.get(namespace, name) !== undefined) {
        throw new SchedulerError("AlreadyExists", `lease ${namespace}/${name} already exists`);
      }
      const lease: LeaseRecord = {
        namespace,
        name,
        client,
        selector,
        ...times,
        conditions: [],
        release: false,
        ended: false,
        tags,
        createdAt: now,
        sequence: await this.#store.nextSequence(),
      };
      if (request.exporterName !== undefined) lease.exporterName = request.exporterName;
      if (request.allowDisabled === true) lease.allowDisabled = true;
      if (request.context && Object.keys(request.context).length > 0) {
        lease.context = { ...request.context };
      }
      const book = new LeaseBook(this.#store.leases.list());
      book.add(lease);
      if (this.#decides()) runPass(book, this.#context(now));
      const changed = await this.#commit(book);
      return { lease: this.#find(book, namespace, name), changed };
    });
  }

  getLease(namespace: string, name: string): LeaseRecord | undefined {
    return this.#store.leases.get(namespace, name);
  }

  /** Leases of a namespace in creation (FIFO) order. */
  listLeases(namespace: string, options: ListLeasesOptions = {}): LeaseRecord[] {
    const filter = options.filter?.trim() ? cachedSelector(options.filter) : undefined;
    if (filter instanceof Error) filterFails(filter.message, "filter");
    const tagFilter = options.tagFilter?.trim() ? cachedSelector(options.tagFilter) : undefined;
    if (tagFilter instanceof Error) filterFails(tagFilter.message, "tag filter");
    const onlyActive = options.onlyActive ?? true;
    return this.#store.leases.list(namespace)
      .filter((l) =>
        (options.client === undefined || l.client === options.client) &&
        (!onlyActive || !l.ended) &&
        (filter === undefined || matches(filter, leaseLabels(l))) &&
        (tagFilter === undefined || matches(tagFilter, l.tags))
      )
      .sort((a, b) => a.sequence - b.sequence);
  }

  /** Changes duration, begin (pending only), end or client of a lease that has not ended. */
  updateLease(namespace: string, name: string, update: UpdateLeaseRequest): Promise<LeaseResult> {
    return this.#exclusive(async () => {
      const now = this.#clock.now();
      const book = new LeaseBook(this.#store.leases.list());
      endLeases(book, now); // a lease past its end is over, even if no pass noticed yet
      const lease = this.#find(book, namespace, name);
      if (lease.ended) {
        throw new SchedulerError("FailedPrecondition", `lease ${namespace}/${name} has ended`);
      }
      applyUpdate(lease, update, now);
      if (this.#decides()) runPass(book, this.#context(now));
      const changed = await this.#commit(book);
      return { lease: lease, changed };
    });
  }

  /** Releases a lease (pending or active); see ReleaseOptions for who may and when. */
  releaseLease(
    namespace: string,
    name: string,
    options: ReleaseOptions = {},
  ): Promise<LeaseResult> {
    return this.#exclusive(async () => {
      const now = this.#clock.now();
      const book = new LeaseBook(this.#store.leases.list());
      endLeases(book, now);
      const lease = this.#find(book, namespace, name);
      const denied = () => new SchedulerError("PermissionDenied", "permission denied");
      if (options.client !== undefined && lease.client !== options.client) throw denied();
      if (options.exporter !== undefined) {
        if (lease.exporter !== options.exporter) throw denied();
      } else if (lease.release) {
        throw new SchedulerError(
          "FailedPrecondition",
          `lease ${namespace}/${name} already released`,
        );
      } else if (lease.ended) {
        throw new SchedulerError(
          "FailedPrecondition",
          `lease ${namespace}/${name} has already ended`,
        );
      }
      if (!lease.ended) markReleased(lease, now, options.message);
      if (this.#decides()) runPass(book, this.#context(now));
      const changed = await this.#commit(book);
      return { lease, changed };
    });
  }

  /**
   * Stores an exporter record (registration, status report, heartbeat, admin change) and, when
   * something that matters for scheduling changed (labels, enabled, status, online), schedules.
   */
  exporterUpdated(exporter: ExporterRecord): Promise<LeaseRecord[]> {
    return this.#exclusive(async () => {
      const now = this.#clock.now();
      const previous = this.#store.exporters.get(exporter.namespace, exporter.name);
      await this.#store.exporters.put(exporter);
      if (
        previous !== undefined &&
        previous.enabled === exporter.enabled &&
        previous.status === exporter.status &&
        sameLabels(previous.labels, exporter.labels) &&
        this.#isOnline(previous, now) === this.#isOnline(exporter, now)
      ) {
        return [];
      }
      return await this.#pass(now);
    });
  }

  /** Deletes an exporter; leases waiting for it by name become Unsatisfiable. */
  exporterRemoved(namespace: string, name: string): Promise<LeaseRecord[]> {
    return this.#exclusive(async () => {
      await this.#store.exporters.delete(namespace, name);
      return await this.#pass(this.#clock.now());
    });
  }

  /** Ends what is due, assigns what can be assigned; returns the changed leases. */
  reconcile(): Promise<LeaseRecord[]> {
    return this.#exclusive(() => this.#pass(this.#clock.now()));
  }

  #pass(now: number): Promise<LeaseRecord[]> {
    if (!this.#decides()) return Promise.resolve([]);
    const book = new LeaseBook(this.#store.leases.list());
    runPass(book, this.#context(now));
    return this.#commit(book);
  }

  /** Queue position and wait estimate of a pending lease (undefined once it is not pending). */
  queueInfo(namespace: string, name: string): QueueInfo | undefined {
    const lease = this.#store.leases.get(namespace, name);
    if (lease === undefined) {
      throw new SchedulerError("NotFound", `lease ${namespace}/${name} not found`);
    }
    return queueInfo(
      lease,
      this.#store.leases.list(namespace),
      this.#store.exporters.list(namespace),
      this.#clock.now(),
      this.#isOnline,
      this.#policyView(),
    );
  }

  /**
   * The earliest time a lease must change by itself: an effective or requested end, or a
   * scheduled begin still ahead. May be in the past (then reconcile now); undefined if none.
   * With `pendingRecheckMs`, a lease still waiting for a board also wakes that long from now.
   */
  nextWakeup(pendingRecheckMs?: number): number | undefined {
    const now = this.#clock.now();
    let next = Infinity;
    for (const l of this.#store.leases.list()) {
      if (l.ended) continue;
      if (isActive(l)) {
        next = Math.min(next, l.effectiveEndTime ?? Infinity);
      } else if (isPending(l)) {
        next = Math.min(next, requestedEnd(l) ?? Infinity, now + (pendingRecheckMs ?? Infinity));
        if (l.beginTime !== undefined && l.beginTime > now) next = Math.min(next, l.beginTime);
      }
    }
    return next === Infinity ? undefined : next;
  }

  /** The active lease holding an exporter, if any. */
  activeLease(namespace: string, exporter: string): LeaseRecord | undefined {
    return this.#store.leases.list(namespace).find((l) => isActive(l) && l.exporter === exporter);
  }
}
