/** A store that lives in memory only (tests, ephemeral controllers). */
import type { ClientRecord, ExporterRecord, LeaseRecord, WaiterRecord } from "../model.ts";
import { StateCollection } from "./collection.ts";
import { StoreState } from "./state.ts";
import { StoreError, type StoreOp } from "./types.ts";
import type { Store } from "./types.ts";

export class MemoryStore implements Store {
  #state = new StoreState();
  #closed = false;
  #issued = 0;

  readonly clients: StateCollection<ClientRecord>;
  readonly exporters: StateCollection<ExporterRecord>;
  readonly leases: StateCollection<LeaseRecord>;
  readonly waiters: StateCollection<WaiterRecord>;

  constructor() {
    const commit = (op: StoreOp) => this.#commit(op);
    this.clients = new StateCollection("clients", this.#state, commit);
    this.exporters = new StateCollection("exporters", this.#state, commit);
    this.leases = new StateCollection("leases", this.#state, commit);
    this.waiters = new StateCollection("waiters", this.#state, commit);
  }

  #commit(op: StoreOp): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreError("store is closed"));
    return Promise.resolve(this.#state.apply(op));
  }

  async nextSequence(): Promise<number> {
    const value = ++this.#issued;
    await this.#commit({ op: "sequence", value });
    return value;
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
