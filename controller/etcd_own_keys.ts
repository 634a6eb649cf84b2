/**
 * Keys a process keeps on etcd for as long as it lives: each bound to the process's etcd lease,
 * so they vanish a TTL after it dies (or at once when it closes). A controller replica publishes
 * its connections this way (replica_live.ts), a router its endpoint (router_server.ts).
 */
import type { Etcd3, Lease } from "etcd3";
import { oneLine, withTimeout } from "./store/etcd_util.ts";

const WRITE_RETRY_MS = 1000;

export class OwnKeys {
  readonly #client: Etcd3;
  readonly #ttl: number;
  /** Who writes, in log lines (`replica`, `router`). */
  readonly #who: string;
  /** The keys and the values wanted, rewritten under a new etcd lease if the old one is lost. */
  readonly #own = new Map<string, string>();
  /** The write of each key in progress (the next one waits for it). */
  readonly #writing = new Map<string, Promise<void>>();
  /** Retries waiting out their pause, woken at once on close. */
  readonly #pauses = new Set<() => void>();
  #lease: Lease;
  #closed = false;

  constructor(client: Etcd3, ttlSeconds: number, who: string) {
    this.#client = client;
    this.#ttl = ttlSeconds;
    this.#who = who;
    this.#lease = this.#grant();
  }

  /** Waits until the etcd lease is granted. */
  async start(): Promise<void> {
    await this.#lease.grant();
  }

  /** The current etcd lease, for other keys that should live as long (a Dial's tickets). */
  get lease(): Lease {
    return this.#lease;
  }

  #grant(): Lease {
    const lease = this.#client.lease(this.#ttl);
    lease.on("lost", (error) => {
      if (this.#closed) return;
      console.error(`${this.#who}: etcd lease lost (${oneLine(error)}); taking a new one`);
      this.#lease = this.#grant();
      for (const [key, value] of this.#own) void this.set(key, value);
    });
    return lease;
  }

  /**
   * Makes `key` hold `value` (or not exist) on etcd. Writes of one key run one after the other,
   * each writing what is wanted when it runs, so a quick disconnect and reconnect cannot land in
   * the wrong order; a failed write is tried again each second until it lands or we close.
   */
  set(key: string, value: string | undefined): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (value !== undefined) this.#own.set(key, value);
    else this.#own.delete(key);
    const write = (this.#writing.get(key) ?? Promise.resolve()).then(() => this.#write(key));
    this.#writing.set(key, write);
    void write.then(() => {
      if (this.#writing.get(key) === write) this.#writing.delete(key);
    });
    return write;
  }

  async #write(key: string): Promise<void> {
    while (!this.#closed) {
      const value = this.#own.get(key);
      try {
        if (value === undefined) await this.#client.delete().key(key).exec();
        else await this.#lease.put(key).value(value).exec();
        return;
      } catch (error) {
        console.error(
          `${this.#who}: writing ${key} failed: ${oneLine(error)}; trying again in 1 s`,
        );
        await this.#pause(WRITE_RETRY_MS);
      }
    }
  }

  /** Waits `ms`, or less if closed meanwhile (no timer outlives us). */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#pauses.add(wake);
    });
  }

  /**
   * Drops every key at once (the others see them go now, not after the TTL); bounded, so a
   * process cut off from etcd still stops.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#pauses]) wake();
    await withTimeout(this.#lease.revoke(), 1000, "").catch(() => {});
  }
}
