/** What the etcd store tells a controller replica about the changes other replicas made. */
import { oneLine } from "./etcd_util.ts";
import type { CollectionName, Keyed } from "./types.ts";

/** A record another store (replica) changed, as the watch delivered it. */
export interface RemoteChange {
  collection: CollectionName;
  namespace: string;
  name: string;
  /** The record before the change (undefined: it was created). */
  before: Keyed | undefined;
  /** The record after the change (undefined: it was deleted). */
  after: Keyed | undefined;
}

/** The listeners of remote changes; one that throws is logged and does not stop the others. */
export class ChangeFeed {
  readonly #listeners = new Set<(change: RemoteChange) => void>();

  subscribe(listener: (change: RemoteChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  tell(change: RemoteChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        console.error(`etcd store: a change listener failed: ${oneLine(error)}`);
      }
    }
  }
}
