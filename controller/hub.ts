/**
 * Live connections of exporters: their Status streams (the heartbeat, and where lease changes
 * are pushed) and their Listen streams (where Dial tickets are queued, one stream per lease).
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

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class ExporterHub {
  readonly #status = new Map<string, Set<Push<ExporterStatusUpdate>>>();
  readonly #listeners = new Map<string, Push<Ticket>>();
  readonly #listenerWaiters = new Map<string, Set<() => void>>();

  /** Registers a Status stream; returns its unsubscribe function. */
  watchStatus(namespace: string, name: string, push: Push<ExporterStatusUpdate>): () => void {
    const k = key(namespace, name);
    let set = this.#status.get(k);
    if (!set) this.#status.set(k, set = new Set());
    set.add(push);
    return () => {
      set.delete(push);
      if (set.size === 0) this.#status.delete(k);
    };
  }

  /** Whether the exporter has a Status stream open right now. */
  connected(namespace: string, name: string): boolean {
    return (this.#status.get(key(namespace, name))?.size ?? 0) > 0;
  }

  /** Pushes a status to every open Status stream of the exporter. */
  notify(namespace: string, name: string, update: ExporterStatusUpdate): void {
    for (const push of this.#status.get(key(namespace, name)) ?? []) push(update);
  }

  /** Registers the Listen stream of a lease (superseding an older one); returns unsubscribe. */
  listen(namespace: string, lease: string, push: Push<Ticket>): () => void {
    const k = key(namespace, lease);
    this.#listeners.set(k, push);
    for (const wake of this.#listenerWaiters.get(k) ?? []) wake();
    this.#listenerWaiters.delete(k);
    return () => {
      if (this.#listeners.get(k) === push) this.#listeners.delete(k);
    };
  }

  /**
   * Hands a ticket to the lease's Listen stream, waiting up to `timeoutMs` for one to open.
   *
   * @returns false when no exporter was listening in time.
   */
  async deliver(
    namespace: string,
    lease: string,
    ticket: Ticket,
    timeoutMs: number,
  ): Promise<boolean> {
    const k = key(namespace, lease);
    const deadline = Date.now() + timeoutMs;
    while (!this.#listeners.has(k)) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        let waiters = this.#listenerWaiters.get(k);
        if (!waiters) this.#listenerWaiters.set(k, waiters = new Set());
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve();
        }, left);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        waiters.add(wake);
      });
    }
    this.#listeners.get(k)!(ticket);
    return true;
  }
}
