/**
 * Transfer progress: a pass-through stream that counts bytes and reports rate and ETA. Rendering
 * is the caller's business (the CLI draws a bar on a terminal, plain lines otherwise).
 */

/** A progress sample. */
export interface Progress {
  /** Bytes so far. */
  transferred: number;
  /** Expected total, when known. */
  total: number | undefined;
  /** Bytes per second, averaged over the recent window. */
  rate: number;
  /** Seconds left at the current rate, when the total is known. */
  eta: number | undefined;
  elapsed: number;
  done: boolean;
}

/** Options of {@linkcode progressStream}. */
export interface ProgressOptions {
  total?: number;
  /** Minimum milliseconds between reports (the last one always comes). */
  intervalMs?: number;
  onProgress(progress: Progress): void;
  /** Clock, for tests. */
  now?: () => number;
}

/** A transform that passes bytes through unchanged and reports progress. */
export function progressStream(options: ProgressOptions): TransformStream<Uint8Array, Uint8Array> {
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 200;
  const started = now();
  let transferred = 0;
  let lastReport = -Infinity;
  // samples of (time, bytes) over the last few seconds, for a rate that follows changes
  const window: [number, number][] = [[started, 0]];
  const sample = (done: boolean): Progress => {
    const at = now();
    window.push([at, transferred]);
    while (window.length > 2 && at - window[0]![0] > 5000) window.shift();
    const [since, base] = window[0]!;
    const seconds = (at - since) / 1000;
    const rate = seconds > 0 ? (transferred - base) / seconds : 0;
    const total = options.total;
    const eta = total !== undefined && rate > 0
      ? Math.max(0, (total - transferred) / rate)
      : undefined;
    return { transferred, total, rate, eta, elapsed: (at - started) / 1000, done };
  };
  return new TransformStream({
    transform(chunk, controller) {
      transferred += chunk.byteLength;
      controller.enqueue(chunk);
      const at = now();
      if (at - lastReport >= interval) {
        lastReport = at;
        options.onProgress(sample(false));
      }
    },
    flush() {
      options.onProgress(sample(true));
    },
  });
}

/** Makes a progress callback for one labelled transfer (the CLI renders; libraries only call). */
export type ProgressReporter = (label: string, total?: number) => (progress: Progress) => void;
