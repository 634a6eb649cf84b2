/**
 * Fans a session's log records out to LogStream subscribers. Records produced while nobody
 * listens wait in a bounded queue (oldest dropped) and go to the next subscriber, as upstream's
 * shared FIFO does; records produced while subscribers exist reach every one of them.
 */
import type { LogRecord } from "@jumpstarter/lib/driver";

/** Options of {@linkcode LogBroker}. */
export interface LogBrokerOptions {
  /** Records kept while nobody listens (per subscriber, the same bound on unread records). */
  capacity?: number;
}

/** A subscription: an async iterable of records, ended by `close()` or the signal. */
export interface LogSubscription extends AsyncIterable<LogRecord> {
  close(): void;
}

export class LogBroker {
  readonly #capacity: number;
  readonly #pending: LogRecord[] = [];
  readonly #subscribers = new Set<(record: LogRecord | null) => void>();

  constructor(options: LogBrokerOptions = {}) {
    this.#capacity = options.capacity ?? 256;
  }

  /** Publishes a record. */
  publish(record: LogRecord): void {
    if (this.#subscribers.size === 0) {
      this.#pending.push(record);
      if (this.#pending.length > this.#capacity) this.#pending.shift();
      return;
    }
    for (const deliver of this.#subscribers) deliver(record);
  }

  /** Subscribes; the first subscriber also receives what was queued while nobody listened. */
  subscribe(signal?: AbortSignal): LogSubscription {
    const queue: LogRecord[] = this.#pending.splice(0);
    let wake: (() => void) | undefined;
    let closed = false;
    const deliver = (record: LogRecord | null) => {
      if (record === null) closed = true;
      else {
        queue.push(record);
        if (queue.length > this.#capacity) queue.shift();
      }
      wake?.();
    };
    this.#subscribers.add(deliver);
    const close = () => {
      this.#subscribers.delete(deliver);
      deliver(null);
    };
    signal?.addEventListener("abort", close, { once: true });
    async function* records(): AsyncGenerator<LogRecord> {
      try {
        while (true) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          if (closed) return;
          await new Promise<void>((resolve) => wake = resolve);
          wake = undefined;
        }
      } finally {
        close();
      }
    }
    const iterator = records();
    return { close, [Symbol.asyncIterator]: () => iterator };
  }

  /** Ends every subscription. */
  close(): void {
    for (const deliver of [...this.#subscribers]) deliver(null);
    this.#subscribers.clear();
  }
}
