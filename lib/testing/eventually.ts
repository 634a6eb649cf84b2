/**
 * `eventually()`: polls a probe until it yields a result, for state nothing signals (a file
 * appearing, a process dying, a status another process reports). Like upstream's helper of the
 * same name.
 */
import { deadlineSignal, waitingFor } from "./deadline.ts";

/** Options of {@linkcode eventually}. */
export interface EventuallyOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between probes (default 20 ms). */
  intervalMs?: number;
  /** Extra detail for the timeout message (e.g. a log tail). */
  describe?: () => string | Promise<string>;
}

/**
 * Calls `probe` until it returns something other than `undefined` or `false`, and returns that.
 *
 * @throws {Error} naming `what` and the timeout when it never does.
 */
export function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  const signal = deadlineSignal();
  let probes = 0;
  let last: unknown;
  const poll = async () => {
    for (;;) {
      const value = await probe();
      probes++;
      last = value;
      if (value !== undefined && value !== false) return value;
      if (performance.now() > deadline || signal.aborted) {
        const detail = options.describe ? `\n${await options.describe()}` : "";
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
    }
  };
  return waitingFor(what, poll(), () => `${probes} probes, the last gave ${String(last)}`);
}
