/**
 * Which router a Dial hands out, among the router processes running (`jmp-controller router`,
 * published on etcd: replica_live.ts). Both ends of one tunnel get the same ticket, so they meet
 * at that router; beyond that, every Dial of one lease gets the same router while it runs
 * (rendezvous hashing of the lease over the routers' ids, the same on every replica), so that
 * the fast path's splice port, which each end learns from its latest tunnel, is the same for
 * the client and the exporter. A router that does not accept a TCP connection (killed, its key
 * not yet expired) is passed over, and the lease moves to the next one.
 */
import { parseHostPort } from "@jumpstarter/lib/config";

/** How long a router may take to accept the probe connection. */
const PROBE_TIMEOUT_MS = 500;
/** How long a router that failed its probe is passed over without a new probe. */
const DOWN_MS = 3_000;

/** Whether `endpoint` accepts a TCP connection (closed at once, nothing sent). */
export type Probe = (endpoint: string) => Promise<boolean>;

/** Connects to `endpoint` and closes again; false when refused or not within the timeout. */
export async function tcpProbe(endpoint: string): Promise<boolean> {
  let hostname: string;
  let port: number;
  try {
    ({ host: hostname, port } = parseHostPort(endpoint));
  } catch {
    return false;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname, port });
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
  });
  try {
    const conn = await Promise.race([connecting, timeout]);
    if (conn === undefined) {
      connecting.then((late) => late.close(), () => {});
      return false;
    }
    conn.close();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** FNV-1a, 32 bits: a stable, well-spread hash for ranking routers (not a secret). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The routers' ids in the order `lease` tries them (highest rendezvous weight first). */
export function rankRouters(lease: string, ids: Iterable<string>): string[] {
  return [...ids]
    .map((id) => ({ id, weight: fnv1a(`${id}\n${lease}`) }))
    .sort((a, b) => b.weight - a.weight || a.id.localeCompare(b.id))
    .map(({ id }) => id);
}

/** Picks a live router for a lease's Dial. */
export class RouterPicker {
  readonly #routers: () => ReadonlyMap<string, string>;
  readonly #probe: Probe;
  readonly #now: () => number;
  /** Endpoints that failed a probe, and until when they are passed over. */
  readonly #down = new Map<string, number>();

  constructor(
    routers: () => ReadonlyMap<string, string>,
    options: { probe?: Probe; now?: () => number } = {},
  ) {
    this.#routers = routers;
    this.#probe = options.probe ?? tcpProbe;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The endpoint of the router for `lease` (`namespace/name`): the first in its ranking that
   * accepts a connection; undefined when there are no routers or none answers (the replica's
   * own router serves then).
   */
  async pick(lease: string): Promise<string | undefined> {
    const routers = this.#routers();
    for (const id of rankRouters(lease, routers.keys())) {
      const endpoint = routers.get(id);
      if (endpoint === undefined) continue;
      const downUntil = this.#down.get(endpoint);
      if (downUntil !== undefined && downUntil > this.#now()) continue;
      if (await this.#probe(endpoint)) {
        this.#down.delete(endpoint);
        return endpoint;
      }
      this.#down.set(endpoint, this.#now() + DOWN_MS);
    }
    return undefined;
  }
}
