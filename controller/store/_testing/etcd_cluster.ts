/**
 * A real etcd cluster (Debian's `etcd-server`) for tests: 1 or 3 members on free loopback ports,
 * each with a temp data dir, started and awaited on its "serving client traffic" log line. Members can be
 * killed (SIGKILL) and restarted on the same data dir; `close()` kills them all and removes the
 * dirs.
 */

import { freePort } from "@jumpstarter/lib/testing";
import { Etcd3 } from "etcd3";

/** One member's process and addresses. */
export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  process: Deno.ChildProcess | undefined;
  /** The member's log so far (stderr), for failure messages. */
  log: string;
}

// etcd 3.4 logs this once its client listener serves (after the member joined the cluster)
const READY = "serving client traffic";

export class EtcdCluster implements AsyncDisposable {
  readonly members: EtcdMember[];
  readonly #root: string;
  readonly #initialCluster: string;

  private constructor(root: string, members: EtcdMember[]) {
    this.#root = root;
    this.members = members;
    this.#initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
  }

  /** Starts `size` members (1 or 3) and waits until each serves clients. */
  static async start(size: 1 | 3 = 1, options: { readyMs?: number } = {}): Promise<EtcdCluster> {
    const root = await Deno.makeTempDir({ prefix: "jmp-etcd-" });
    const members: EtcdMember[] = Array.from({ length: size }, (_, i) => ({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${freePort()}`,
      peerUrl: `http://127.0.0.1:${freePort()}`,
      dataDir: `${root}/m${i}`,
      process: undefined,
      log: "",
    }));
    const cluster = new EtcdCluster(root, members);
    try {
      await Promise.all(members.map((_, i) => cluster.startMember(i, options.readyMs)));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** The client URLs, comma-separated: what `--store etcd://...` takes after the scheme. */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** `etcd://host:port,host:port` for every member. */
  get storeUrl(): string {
    return `etcd://${this.members.map((m) => new URL(m.clientUrl).host).join(",")}`;
  }

  /** (Re)starts member `i` on its data dir and waits for its ready line. */
  async startMember(i: number, readyMs = 20_000): Promise<void> {
    const m = this.members[i]!;
    const child = new Deno.Command("etcd", {
      args: [
        "--name",
        m.name,
        "--data-dir",
        m.dataDir,
        "--listen-client-urls",
        m.clientUrl,
        "--advertise-client-urls",
        m.clientUrl,
        "--listen-peer-urls",
        m.peerUrl,
        "--initial-advertise-peer-urls",
        m.peerUrl,
        "--initial-cluster",
        this.#initialCluster,
        "--initial-cluster-state",
        "new",
        "--initial-cluster-token",
        `jmp-${this.#root.slice(-8)}`,
        "--logger",
        "zap",
        // fast elections: the fault suite measures recovery
        "--heartbeat-interval",
        "50",
        "--election-timeout",
        "500",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    m.process = child;
    m.log = "";
    const ready = Promise.withResolvers<void>();
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        m.log = (m.log + decoder.decode(chunk, { stream: true })).slice(-20_000);
        if (m.log.includes(READY)) ready.resolve();
      }
      ready.reject(new Error(`etcd member ${m.name} exited before serving; log:\n${m.log}`));
    })();
    const timer = setTimeout(
      () => ready.reject(new Error(`etcd member ${m.name} not ready in ${readyMs} ms:\n${m.log}`)),
      readyMs,
    );
    try {
      await ready.promise;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The index of the member the running members agree leads the cluster. */
  async leader(): Promise<number> {
    const running = this.members.flatMap((m, i) => m.process ? [i] : []);
    const views = await Promise.all(running.map(async (i) => {
      const client = new Etcd3({ hosts: this.members[i]!.clientUrl, dialTimeout: 5000 });
      try {
        const status = await client.maintenance.status();
        return { i, id: status.header.member_id, leader: status.leader };
      } finally {
        client.close();
      }
    }));
    const leaders = new Set(views.map((v) => v.leader));
    const leader = views.find((v) => v.id === views[0]?.leader);
    if (leaders.size !== 1 || leader === undefined) {
      throw new Error(`etcd members disagree on the leader: ${JSON.stringify(views)}`);
    }
    return leader.i;
  }

  /** SIGKILLs member `i` and waits for it to exit. */
  async kill(i: number): Promise<void> {
    const child = this.members[i]!.process;
    if (child === undefined) return;
    this.members[i]!.process = undefined;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    await Deno.remove(this.#root, { recursive: true }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
