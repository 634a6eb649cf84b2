/**
 * A per-call time limit shared by every step of the call (connect, publish, wait for the plug).
 */

/** Aborts its signal when the limit passes; `seconds: null` never does. */
export class Deadline implements Disposable {
  readonly seconds: number | null;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(seconds: number | null) {
    this.seconds = seconds;
    if (seconds !== null) {
      this.#timer = setTimeout(() => this.#controller.abort(), seconds * 1000);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** How long the limit is, for messages: `2 s`. */
  get text(): string {
    return this.seconds === null ? "no limit" : `${this.seconds} s`;
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
  }
}

/**
 * Settles with `promise`, or rejects with `expired()` once `signal` aborts; `cleanup` runs
 * either way.
 */
export function racing<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  expired: () => Error,
  cleanup: () => void = () => {},
): Promise<T> {
  if (signal.aborted) {
    cleanup();
    promise.catch(() => {});
    return Promise.reject(expired());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cleanup();
      reject(expired());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        cleanup();
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        cleanup();
        reject(error);
      },
    );
  });
}
