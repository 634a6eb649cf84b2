/**
 * A queue of received packets with a timed wait: what a transfer reads its peer's packets from.
 */

/** Why a wait ended without a packet. */
export type WaitEnd = "timeout" | "aborted";

export class Inbox<T> {
  readonly #queue: T[] = [];
  #waiter: ((item: T | WaitEnd) => void) | undefined;
  #aborted = false;

  /** Adds a packet, waking the waiter if there is one. */
  push(item: T): void {
    if (this.#aborted) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(item);
    } else {
      this.#queue.push(item);
    }
  }

  /** Ends every current and future wait with "aborted". */
  abort(): void {
    this.#aborted = true;
    this.#queue.length = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.("aborted");
  }

  /** The next packet, or why none came before `deadline` (a `performance.now()` time). */
  next(deadline: number): Promise<T | WaitEnd> {
    if (this.#aborted) return Promise.resolve("aborted");
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift()!);
    const wait = deadline - performance.now();
    if (wait <= 0) return Promise.resolve("timeout");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve("timeout");
      }, wait);
      this.#waiter = (item) => {
        clearTimeout(timer);
        resolve(item);
      };
    });
  }
}
