/**
 * The exporter's controller calls that must not be lost to a controller replica going away: a
 * lost status report leaves the controller thinking the exporter busy (its queued leases wait),
 * a lost release leaves the lease running. Such a call is made again while its connection is
 * lost (the channel fails over to another replica meanwhile). And its streams (Status, Listen)
 * are opened again each time they break.
 */
import { isConnectionLoss, withoutResolutionNote } from "@jumpstarter/lib/wire";

/** How long a call is retried while the connection to the controller is lost. */
export const CALL_RETRY_MS = 60_000;

/** Options of {@linkcode retryWhileDisconnected}. */
export interface RetryOptions {
  /** Once aborted (the exporter stops), a failure is final: no more attempts. */
  signal: AbortSignal;
  /** The first pause between attempts; it doubles up to 5 s. */
  retryMs: number;
  /** Told about each retry. */
  log(message: string): void;
  /** Give up after this long (default {@linkcode CALL_RETRY_MS}). */
  budgetMs?: number;
}

/** Runs `call`, again after each connection loss, until it succeeds, fails otherwise or time is up. */
export async function retryWhileDisconnected<T>(
  call: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const giveUp = Date.now() + (options.budgetMs ?? CALL_RETRY_MS);
  let pause = options.retryMs;
  while (true) {
    try {
      return await call();
    } catch (error) {
      const { signal } = options;
      if (!isConnectionLoss(error) || signal.aborted || Date.now() + pause > giveUp) throw error;
      options.log(
        `Controller call failed, retrying in ${pause} ms: ${
          withoutResolutionNote((error as Error).message)
        }`,
      );
      await abortableDelay(pause, signal);
      if (signal.aborted) throw error;
      pause = Math.min(pause * 2, 5000);
    }
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Options of {@linkcode followStream}. */
export interface FollowOptions extends RetryOptions {
  /** An error (given its status details) that ends the stream for good, thrown by it. */
  fatal?: (details: string) => Error | undefined;
}

/**
 * Reads the server stream `open` returns, handing each message to `handle`; each time it breaks,
 * opens it again after a pause (from `retryMs`, doubling to 5 s; reset by a message), until
 * `signal` aborts or `fatal` names an error.
 */
export async function followStream<T>(
  name: string,
  open: (signal: AbortSignal) => AsyncIterable<T>,
  handle: (message: T) => unknown,
  options: FollowOptions,
): Promise<void> {
  const { signal } = options;
  let pause = options.retryMs;
  while (!signal.aborted) {
    try {
      for await (const message of open(signal)) {
        pause = options.retryMs;
        await handle(message);
      }
    } catch (error) {
      if (signal.aborted) return;
      const fatal = options.fatal?.((error as { details?: string }).details ?? "");
      if (fatal) throw fatal;
      options.log(
        `${name} stream interrupted, retrying in ${pause} ms: ${
          withoutResolutionNote((error as Error).message)
        }`,
      );
    }
    await abortableDelay(pause, signal);
    pause = Math.min(pause * 2, 5000);
  }
}
