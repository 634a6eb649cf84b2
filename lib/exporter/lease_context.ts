/**
 * What an exporter holds for one lease: its session and server, and the points of its lifecycle
 * that the lease handler, the EndSession call and the controller's Status stream wait on (as
 * upstream's LeaseContext events).
 */
import type { Session } from "./session.ts";
import type { SessionServer } from "./server.ts";

/** A one-shot event: `set()` once, `wait()` any number of times. */
export class Milestone {
  readonly #reached = Promise.withResolvers<void>();
  #set = false;

  get isSet(): boolean {
    return this.#set;
  }

  set(): void {
    this.#set = true;
    this.#reached.resolve();
  }

  wait(): Promise<void> {
    return this.#reached.promise;
  }
}

/** One lease, from the controller's `leased=true` until its session is torn down. */
export class LeaseContext {
  readonly name: string;
  /** The lease holder, from the Status stream; an empty name means no client (no afterLease). */
  client: string;
  readonly session: Session;
  readonly server: SessionServer;
  /** The private directory of the session socket. */
  readonly dir: string;
  /** Ends the Listen stream. */
  readonly listenAbort: AbortController = new AbortController();
  listening: Promise<void> = Promise.resolve();
  /** The beforeLease phase is over (hook run or not): tunnels may be bridged. */
  readonly beforeLeaseDone: Milestone = new Milestone();
  /** The client called EndSession. */
  readonly endSessionRequested: Milestone;
  /** The lease is over: the controller said so, or the exporter released it. */
  readonly ended: Milestone = new Milestone();
  readonly afterLeaseStarted: Milestone = new Milestone();
  readonly afterLeaseDone: Milestone = new Milestone();
  /** A beforeLease hook that failed with endLease/exit means no afterLease hook. */
  skipAfterLeaseHook = false;
  /** The teardown, once begun. */
  finished?: Promise<void>;

  constructor(init: {
    name: string;
    client: string;
    session: Session;
    server: SessionServer;
    dir: string;
    endSessionRequested: Milestone;
  }) {
    this.endSessionRequested = init.endSessionRequested;
    this.name = init.name;
    this.client = init.client;
    this.session = init.session;
    this.server = init.server;
    this.dir = init.dir;
  }
}
