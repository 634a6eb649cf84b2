/**
 * Helpers of the failover suite (`failover_*_test.ts`): router processes (`jmp-controller
 * router`) and what their `/metrics` say, a lab of a 3-member etcd cluster, two controller
 * replicas behind one `ipv4:` endpoint, two routers and an exporter with an echo driver, all
 * started here; and a byte stream through a lease that checks every byte and reconnects when
 * its connection breaks, timing how long it stood still.
 */
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { EtcdStore } from "../controller/store/etcd_store.ts";
import type { LeaseRecord } from "../controller/model.ts";
import { parseHostPort } from "@jumpstarter/lib/config";
import { waitingFor } from "@jumpstarter/lib/testing";
import { type BackgroundJmp, spawnJmp } from "./_helpers.ts";
import {
  type ControllerProcess,
  freePort,
  makeClient,
  makeExporter,
  startController,
  untilExporter,
} from "./_distributed.ts";
import { copyStateDir, startLeaderAndFollower } from "./_replicas.ts";

/** The etcd prefix the lab's controllers and routers share. */
const PREFIX = "/failover/";

/** A router process, with the address of its `/metrics`. */
export interface RouterProcess {
  readonly process: ControllerProcess;
  readonly metrics: string;
}

/** Starts `jmp-controller router` from a copy of `replica`'s state directory (its keys). */
export async function startRouterProcess(
  replica: ControllerProcess,
  stateDir: string,
  store: string,
): Promise<RouterProcess> {
  await copyStateDir(replica.stateDir, stateDir);
  const metrics = `127.0.0.1:${freePort()}`;
  const process = await startController(stateDir, {
    command: "router",
    store,
    metricsAddress: metrics,
  });
  return { process, metrics };
}

/** A series' value in a router's `/metrics` (0 when absent). */
export async function routerMetric(router: RouterProcess, name: string): Promise<number> {
  const response = await fetch(`http://${router.metrics}/metrics`);
  const text = await response.text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
}

/** The lab of the failover suite; disposing it stops every process it started. */
export interface FailoverLab extends AsyncDisposable {
  readonly cluster: EtcdCluster;
  /** `etcd://...` with the lab's prefix. */
  readonly store: string;
  /** The gRPC target naming both replicas, leader first: every config's endpoint. */
  readonly target: string;
  readonly leader: ControllerProcess;
  readonly follower: ControllerProcess;
  readonly routers: RouterProcess[];
  readonly exporter: BackgroundJmp;
  /** Client configs by name. */
  readonly clients: Record<string, string>;
  /** The lease records on etcd, read now. */
  leases(): Promise<LeaseRecord[]>;
}

/**
 * Starts the lab: etcd (3 members), the leader and follower replicas (configs name both through
 * `--config-endpoint`), two routers, exporter bench1 (`board=virt`, the virtual lab plus an
 * `echo` EchoNetwork) until AVAILABLE, and a client config for each of `clients`.
 */
export async function startFailoverLab(dir: string, clients: string[]): Promise<FailoverLab> {
  const cluster = await EtcdCluster.start(3);
  const store = `${cluster.storeUrl}${PREFIX.slice(0, -1)}`;
  const ports = [freePort(), freePort()];
  const target = `ipv4:${ports.map((port) => `127.0.0.1:${port}`).join(",")}`;
  const controllers: ControllerProcess[] = [];
  const routers: RouterProcess[] = [];
  let exporter: BackgroundJmp | undefined;
  const stop = async () => {
    await exporter?.stop("SIGKILL");
    for (const router of routers) await router.process.stop("SIGKILL");
    for (const controller of controllers) await controller.stop("SIGKILL");
    await cluster.close();
  };
  try {
    const replica = (port: number) => ({
      listen: `127.0.0.1:${port}`,
      extraArgs: ["--config-endpoint", target],
    });
    const { leader, follower } = await startLeaderAndFollower(
      store,
      [`${dir}/leader`, `${dir}/follower`],
      controllers,
      [replica(ports[0]!), replica(ports[1]!)],
    );
    for (const name of ["router1", "router2"]) {
      routers.push(await startRouterProcess(leader, `${dir}/${name}`, store));
    }
    const exporterConfig = await makeExporter(leader.adminConfig, dir, "bench1", ["board=virt"]);
    await Deno.writeTextFile(exporterConfig, "  echo:\n    type: EchoNetwork\n", { append: true });
    const configs: Record<string, string> = {};
    for (const name of clients) configs[name] = await makeClient(leader.adminConfig, dir, name);
    exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    await untilExporter(configs[clients[0]!]!, "bench1");
    return {
      cluster,
      store,
      target,
      leader,
      follower,
      routers,
      exporter,
      clients: configs,
      leases: async () => {
        const records = await EtcdStore.open({ endpoints: cluster.endpoints, prefix: PREFIX });
        try {
          return records.leases.list();
        } finally {
          await records.close();
        }
      },
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const CHUNK = 16 * 1024;

/**
 * Echoes chunks of random bytes through a TCP port (a `j echo forward-tcp` through the lease)
 * and checks each comes back exactly; when the connection breaks it notes why and connects
 * again.
 */
export class EchoPump {
  /** Bytes sent and received back unchanged. */
  verified = 0;
  /** Why connections broke, in order. */
  readonly breaks: string[] = [];
  /** Chunks that came back different: must stay empty. */
  readonly corrupted: string[] = [];
  /** The longest time between two verified chunks since {@linkcode EchoPump.resetPause}. */
  longestPauseMs = 0;
  #lastVerifiedAt = performance.now();
  readonly #waiting = new Set<(at: number) => void>();
  #stopped = false;
  #conn: Deno.TcpConn | undefined;
  readonly #running: Promise<void>;

  constructor(readonly address: string) {
    this.#running = this.#run();
  }

  /** Resolves with the time (`performance.now()`) the next chunk is verified. */
  nextChunk(): Promise<number> {
    const { promise, resolve } = Promise.withResolvers<number>();
    this.#waiting.add(resolve);
    return waitingFor(`a chunk echoed through ${this.address}`, promise, () => this.describe());
  }

  /** Starts measuring {@linkcode EchoPump.longestPauseMs} afresh. */
  resetPause(): void {
    this.longestPauseMs = 0;
  }

  /** What the pump did, for failure messages. */
  describe(): string {
    return `${this.verified} bytes verified; breaks: ${JSON.stringify(this.breaks)}` +
      (this.corrupted.length ? `; CORRUPTED: ${this.corrupted.join("; ")}` : "");
  }

  async #run(): Promise<void> {
    const { host: hostname, port } = parseHostPort(this.address);
    while (!this.#stopped) {
      try {
        this.#conn = await Deno.connect({ hostname, port });
        await this.#pump(this.#conn);
      } catch (error) {
        if (this.#stopped) return;
        this.breaks.push((error as Error).message);
      } finally {
        try {
          this.#conn?.close();
        } catch { /* closed */ }
      }
      // a new connection once j has noticed its tunnel is gone: polled, j tells nobody
      if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async #pump(conn: Deno.TcpConn): Promise<void> {
    const received = new Uint8Array(CHUNK);
    for (let sequence = 0; !this.#stopped; sequence++) {
      const chunk = crypto.getRandomValues(new Uint8Array(CHUNK));
      for (let written = 0; written < CHUNK;) written += await conn.write(chunk.subarray(written));
      for (let filled = 0; filled < CHUNK;) {
        const n = await conn.read(received.subarray(filled));
        if (n === null) throw new Error(`connection closed ${filled} bytes into chunk ${sequence}`);
        filled += n;
      }
      if (!received.every((byte, i) => byte === chunk[i])) {
        this.corrupted.push(`chunk ${sequence} after ${this.verified} bytes`);
        throw new Error(`chunk ${sequence} came back different`);
      }
      this.verified += CHUNK;
      const now = performance.now();
      this.longestPauseMs = Math.max(this.longestPauseMs, now - this.#lastVerifiedAt);
      this.#lastVerifiedAt = now;
      for (const resolve of this.#waiting) resolve(now);
      this.#waiting.clear();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    try {
      this.#conn?.close();
    } catch { /* closed */ }
    await this.#running;
  }
}
