/**
 * Live connections of exporters: their Status streams (the heartbeat, and where lease changes
 * are pushed) and their Listen streams (where Dial tickets are queued, one stream per lease).
 * It remembers when an exporter's last Status stream closed (a process killed, a host gone), so
 * the controller can call it offline within seconds, and which exporter process (instance)
 * holds each stream, so a second process with the same credentials can be told apart. With
 * controller replicas, a ticket for a Listen stream held by another replica goes through `remote`.
 */

/** What an exporter's Status stream is told. */
export interface ExporterStatusUpdate {
  leased: boolean;
  leaseName?: string;
  clientName?: string;
}

/** A router ticket for one tunnel. */
export interface Ticket {
  routerEndpoint: string;
  routerToken: string;
}

type Push<T> = (value: T) => void;

/** The Listen streams other controller replicas hold (replica_live.ts). */
export interface RemoteListeners {
  /** Tells the others this replica holds (or no longer holds) the lease's Listen stream. */
  listening(namespace: string, lease: string, present: boolean): void;
  listenerElsewhere(namespace: string, lease: string): boolean;
  /**
   * Hands the ticket to the replica holding the stream; false if it did not take it in time, its
   * stream went away, or `signal` aborted.
   */
  deliver(
    namespace: string,
    lease: string,
    ticket: Ticket,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean>;
}

/** How often a waiting delivery re-checks that it is still wanted. */
const RECHECK_MS = 250;

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** One open Status stream: where to push, and the process that opened it (if it said). */
interface StatusWatch {
  push: Push<ExporterStatusUpdate>;
  instance: string | undefined;
}

export class ExporterHub {
  readonly #status = new Map<string, Set<StatusWatch>>();
  readonly #disconnectedAt = new Map<string, number>();
  readonly #listeners = new Map<string, Push<Ticket>>();
  readonly #listenerWaiters = new Map<string, Set<() => void>>();
  readonly #now: () => number;
  readonly #onConnectionChange: (namespace: string, name: string) => void;
  remote: RemoteListeners | undefined;

  constructor(
    now: () => number = Date.now,
    onConnectionChange: (namespace: string, name: string) => void = () => {},
  ) {
    this.#now = now;
    this.#onConnectionChange = onConnectionChange;
  }

  /**
   * Registers a Status stream of the exporter process `instance` (undefined when it did not say
   * who it is); returns its unsubscribe function, which is idempotent.
   */
  watchStatus(
    namespace: string,
    name: string,
    push: Push<ExporterStatusUpdate>,
    instance?: string,
  ): () => void {
    const k = key(namespace, name);
    let set = this.#status.get(k);
    const first = !set;
    if (!set) this.#status.set(k, set = new Set());
    const watch = { push, instance };
    set.add(watch);
    this.#disconnectedAt.delete(k);
    if (first) this.#onConnectionChange(namespace, name);
    return () => {
      if (!set.delete(watch) || set.size > 0) return;
      this.#status.delete(k);
      this.#disconnectedAt.set(k, this.#now());
      this.#onConnectionChange(namespace, name);
    };
  }

  /** Whether the exporter has a Status stream open right now. */
  connected(namespace: string, name: string): boolean {
    return (this.#status.get(key(namespace, name))?.size ?? 0) > 0;
  }

  /** When the exporter's last Status stream closed, if it has none open (since this start). */
  disconnectedAt(namespace: string, name: string): number | undefined {
    return this.#disconnectedAt.get(key(namespace, name));
  }

  /** The exporter processes holding Status streams (undefined: one that did not say). */
  instances(namespace: string, name: string): (string | undefined)[] {
    return [...this.#status.get(key(namespace, name)) ?? []].map((watch) => watch.instance);
  }

  /** Pushes a status to every open Status stream of the exporter. */
  notify(namespace: string, name: string, update: ExporterStatusUpdate): void {
    for (const watch of this.#status.get(key(namespace, name)) ?? []) watch.push(update);
  }

  /** Registers the Listen stream of a lease (superseding an older one); returns unsubscribe. */
  listen(namespace: string, lease: string, push: Push<Ticket>): () => void {
    const k = key(namespace, lease);
    this.#listeners.set(k, push);
    this.remote?.listening(namespace, lease, true);
    for (const wake of this.#listenerWaiters.get(k) ?? []) wake();
    this.#listenerWaiters.delete(k);
    return () => {
      if (this.#listeners.get(k) !== push) return;
      this.#listeners.delete(k);
      this.remote?.listening(namespace, lease, false);
    };
  }

  /** A ticket another replica sent for a Listen stream here; false if it is not here. */
  handOver(namespace: string, lease: string, ticket: Ticket): boolean {
    const push = this.#listeners.get(key(namespace, lease));
    push?.(ticket);
    return push !== undefined;
  }

  /**
   * Hands a ticket to the lease's Listen stream, waiting up to `timeoutMs` for one to open (and
   * no longer once `stillWanted` says no).
   *
   * @returns false when no exporter was listening in time.
   */
  async deliver(
    namespace: string,
    lease: string,
    ticket: Ticket,
    timeoutMs: number,
    stillWanted: () => boolean = () => true,
  ): Promise<boolean> {
    const k = key(namespace, lease);
    const deadline = Date.now() + timeoutMs;
    while (!this.#listeners.has(k)) {
      const left = deadline - Date.now();
      if (left <= 0 || !stillWanted()) return false;
      if (this.remote?.listenerElsewhere(namespace, lease)) {
        // the exporter's Listen stream may move here meanwhile (its replica died): then the
        // ticket is withdrawn there and handed over here
        const movedHere = new AbortController();
        const wake = () => movedHere.abort();
        this.#waitForListener(k, wake);
        const delivered = await this.remote.deliver(
          namespace,
          lease,
          ticket,
          left,
          movedHere.signal,
        );
        this.#listenerWaiters.get(k)?.delete(wake);
        if (delivered) return true;
        if (!movedHere.signal.aborted && !this.#listeners.has(k)) {
          // its stream went away there and has not come back here yet: wait for it a little
          await this.#listenerOrTimeout(k, Math.min(deadline - Date.now(), RECHECK_MS));
        }
        continue;
      }
      await this.#listenerOrTimeout(k, Math.min(left, RECHECK_MS));
    }
    this.#listeners.get(k)!(ticket);
    return true;
  }

  #waitForListener(k: string, wake: () => void): void {
    let waiters = this.#listenerWaiters.get(k);
    if (!waiters) this.#listenerWaiters.set(k, waiters = new Set());
    waiters.add(wake);
  }

  /** Resolves when a Listen stream registers for `k`, or after `ms`. */
  #listenerOrTimeout(k: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#listenerWaiters.get(k)?.delete(wake);
        resolve();
      }, Math.max(0, ms));
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waitForListener(k, wake);
    });
  }
}
