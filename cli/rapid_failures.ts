/**
 * Upstream's rapid-failure guard of `jmp run` (`failureDetection`): a serving run that fails
 * within `rapidFailureWindow` seconds counts; one that lasted longer resets the count; at
 * `maxRapidFailures` in a row the exporter gives up so a supervisor can restart it.
 */
import type { ExporterConfig } from "@jumpstarter/lib/config";

export class RapidFailureGuard {
  #count = 0;
  readonly max: number;
  readonly windowSeconds: number;

  constructor(detection: ExporterConfig["failureDetection"]) {
    this.max = detection.maxRapidFailures;
    this.windowSeconds = detection.rapidFailureWindow;
  }

  /** Records a run that failed after `elapsedMs`; returns whether to give up now. */
  failed(elapsedMs: number): boolean {
    this.#count = elapsedMs < this.windowSeconds * 1000 ? this.#count + 1 : 0;
    return this.#count >= this.max;
  }

  /** Upstream's closing line. */
  message(): string {
    return `Exporter child process failed ${this.#count} times within ${this.windowSeconds}s ` +
      "each. Exiting to allow container/service restart.";
  }
}
