/**
 * Slowing down guessing: every authentication failure (a forged token, a wrong passphrase) is
 * logged and answered no sooner than its slot, slots being `spacingMs` apart per source, so one
 * source gets at most 1000 / spacingMs refusals a second however many calls it runs at once (a
 * flood of concurrent guesses queues up; nothing caps the wait, or concurrency would buy speed).
 * Successful calls are never delayed.
 */

/** Options of {@linkcode AuthFailureThrottle}. */
export interface AuthFailureThrottleOptions {
  /** Time between two refusals to the same source (default 50 ms: at most 20 a second). */
  spacingMs?: number;
  /** Where failures are reported (default: stderr). */
  log?: (message: string) => void;
}

/** Sources remembered at most; the oldest are forgotten beyond this. */
const MAX_SOURCES = 10_000;

/** Paces authentication failures per source. */
export class AuthFailureThrottle {
  readonly #spacingMs: number;
  readonly #log: (message: string) => void;
  /** Per source: when its next refusal may be answered (performance.now() time). */
  readonly #nextSlot = new Map<string, number>();

  /** One throttle per server: it remembers sources across calls. */
  constructor(options: AuthFailureThrottleOptions = {}) {
    this.#spacingMs = options.spacingMs ?? 50;
    this.#log = options.log ?? ((message) => console.error(message));
  }

  /** How long to hold back a refusal to `source` now, taking its slot. */
  delayFor(source: string): number {
    const now = performance.now();
    const slot = Math.max(now, this.#nextSlot.get(source) ?? 0);
    this.#nextSlot.delete(source);
    this.#nextSlot.set(source, slot + this.#spacingMs);
    if (this.#nextSlot.size > MAX_SOURCES) {
      this.#nextSlot.delete(this.#nextSlot.keys().next().value!);
    }
    return slot - now;
  }

  /** Logs the failure, then resolves when the refusal may be sent. */
  refuse(source: string, reason: string): Promise<void> {
    const delay = this.delayFor(source);
    this.#log(`Authentication failed from ${source}: ${reason}`);
    return delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)) : Promise.resolve();
  }
}

/** The host part of a gRPC peer string (`ipv4:1.2.3.4:567`, `[::1]:567`): the source to pace. */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  if (bracketed) return bracketed[1]!;
  return /^[^:]+:\d+$/.test(bare) ? bare.slice(0, bare.lastIndexOf(":")) : bare;
}
