/** A `Collection` over a `StoreState`, with writes going through a commit function. */
import type { StoreState } from "./state.ts";
import {
  assertKeyed,
  type Collection,
  type CollectionName,
  type Keyed,
  type StoreOp,
} from "./types.ts";

/**
 * Makes a change durable, then applies it to the state, in call order; resolves to what
 * `StoreState.apply` returned (for a delete: whether the record existed).
 */
export type Commit = (op: StoreOp) => Promise<boolean>;

export class StateCollection<T extends Keyed> implements Collection<T> {
  #name: CollectionName;
  #state: StoreState;
  #commit: Commit;

  constructor(name: CollectionName, state: StoreState, commit: Commit) {
    this.#name = name;
    this.#state = state;
    this.#commit = commit;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#state.get(this.#name, namespace, name) as T | undefined;
  }

  list(namespace?: string): T[] {
    return this.#state.list(this.#name, namespace) as T[];
  }

  put(record: T): Promise<void> {
    try {
      assertKeyed(record, `${this.#name}.put`);
    } catch (error) {
      return Promise.reject(error);
    }
    // Copy now: the caller may mutate its object before the write lands.
    return this.#commit({ op: "put", collection: this.#name, record: structuredClone(record) })
      .then(() => {});
  }

  delete(namespace: string, name: string): Promise<boolean> {
    // Always through the commit queue, so it is ordered after a put still in flight.
    return this.#commit({ op: "delete", collection: this.#name, namespace, name });
  }
}
