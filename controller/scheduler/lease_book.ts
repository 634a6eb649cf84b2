/** A working copy of the leases that tracks which ones a pass changed. */
import type { LeaseRecord } from "../model.ts";

function keyOf(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

export class LeaseBook {
  #leases = new Map<string, LeaseRecord>();
  #original = new Map<string, string>();

  constructor(leases: Iterable<LeaseRecord>) {
    for (const lease of leases) {
      const key = keyOf(lease.namespace, lease.name);
      this.#leases.set(key, lease);
      this.#original.set(key, JSON.stringify(lease));
    }
  }

  get(namespace: string, name: string): LeaseRecord | undefined {
    return this.#leases.get(keyOf(namespace, name));
  }

  /** Adds a new lease (counted as changed). */
  add(lease: LeaseRecord): void {
    this.#leases.set(keyOf(lease.namespace, lease.name), lease);
  }

  /** All leases, in FIFO order (sequence). */
  all(): LeaseRecord[] {
    return [...this.#leases.values()].sort((a, b) => a.sequence - b.sequence);
  }

  /** Leases that differ from what the book started with, in FIFO order. */
  changed(): LeaseRecord[] {
    return this.all().filter((l) =>
      this.#original.get(keyOf(l.namespace, l.name)) !== JSON.stringify(l)
    );
  }
}
