/**
 * The etcd store next to the file journal, in the same run: one in-process lab each (controller,
 * exporter, client: `_lease_lab.ts`), on a 1-member and a 3-member etcd started here, and two
 * controller replicas on the 3-member etcd (the exporter on the leader, the client on the
 * follower, so each lease is created on one replica and granted by the other).
 *
 * - **lease to first call**: `CreateLease` until the first `power.on()` through the router
 *   returns, p50 / p99 over `--leases` sequential leases.
 * - **leases per second**: full sequential lease cycles per second with one exporter (create,
 *   Ready, first call, release, exporter Available again), the wall time of the measured loop.
 * - **store writes**: one record `put` awaited at a time (p50 / p99 latency), and `--puts`
 *   puts issued at once (records per second), straight on the store.
 *
 * Benchmarks report, never assert. Usage: `deno run -A bench/etcd_leases.ts [--leases N] [--puts N] [--json]`
 *
 * @module
 */
import { EtcdCluster } from "../controller/store/_testing/etcd_cluster.ts";
import { client } from "../controller/store/testing.ts";
import { EtcdStore, FileStore, type Store } from "../controller/store/mod.ts";
import { benchOptions, latencySummary, optionsOrExit } from "./_measure.ts";
import { leaseOnce, startLab } from "./_lease_lab.ts";

interface Options {
  leases: number;
  puts: number;
  json: boolean;
}

interface Backend {
  store: string;
  leaseToFirstCallMs: { p50: number; p99: number; mean: number };
  leasesPerSecond: number;
  putMs: { p50: number; p99: number; mean: number };
  putsPerSecond: number;
}

function parseOptions(args: string[]): Options {
  return benchOptions(args, { leases: 50, puts: 1000 }, ["json"]);
}

/** `count` measured leases on a fresh lab: each one's lease-to-first-call, and the wall time. */
async function measureLeases(count: number, store: string | undefined, replicas: 1 | 2) {
  const dir = await Deno.makeTempDir({ prefix: "jmp-etcd-bench-sock-" });
  try {
    await using lab = await startLab({ plaintext: false, replicas, ...(store ? { store } : {}) });
    await lab.exporterAvailable();
    await leaseOnce(lab, dir, 0, 20); // warm-up, not measured
    const totals: number[] = [];
    const start = performance.now();
    for (let i = 1; i <= count; i++) {
      await lab.exporterAvailable();
      totals.push((await leaseOnce(lab, dir, i, 20)).total);
    }
    await lab.exporterAvailable();
    const seconds = (performance.now() - start) / 1000;
    return { totals, seconds };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function measurePuts(options: Options, store: Store) {
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    await store.clients.put(client(`one-${i}`));
    latencies.push(performance.now() - start);
  }
  const start = performance.now();
  await Promise.all(
    Array.from({ length: options.puts }, (_, i) => store.clients.put(client(`many-${i}`))),
  );
  const seconds = (performance.now() - start) / 1000;
  return { putMs: latencySummary(latencies), putsPerSecond: options.puts / seconds };
}

/** Where each backend's store lives: a `--store` URL per round (none: the file journal). */
interface Target {
  name: string;
  url: (round: number) => string | undefined;
  open: (dir: string) => Promise<Store>;
  replicas: 1 | 2;
}

async function run(options: Options): Promise<Backend[]> {
  await using one = await EtcdCluster.start(1);
  await using three = await EtcdCluster.start(3);
  const dir = await Deno.makeTempDir({ prefix: "jmp-etcd-bench-" });
  const onEtcd = (name: string, cluster: EtcdCluster, replicas: 1 | 2 = 1): Target => ({
    name,
    replicas,
    // each lab registers its client and exporter afresh: a prefix of its own per round
    url: (round) => `${cluster.storeUrl}/bench${replicas}r${round}`,
    open: () => EtcdStore.open({ endpoints: cluster.endpoints, prefix: "/bench-puts/" }),
  });
  const targets: Target[] = [
    {
      name: "file journal",
      url: () => undefined,
      open: (dir) => FileStore.open(`${dir}/store`),
      replicas: 1,
    },
    onEtcd("etcd, 1 member", one),
    onEtcd("etcd, 3 members", three),
    onEtcd("3 members, 2 replicas", three, 2),
  ];
  try {
    const puts: Awaited<ReturnType<typeof measurePuts>>[] = [];
    for (const target of targets) {
      const store = await target.open(dir);
      puts.push(await measurePuts(options, store).finally(() => store.close()));
    }
    // two rounds, the second in reverse order, so no store always runs on a warmer process
    const runs = targets.map(() => ({ totals: [] as number[], seconds: 0 }));
    for (const round of [0, 1]) {
      const count = round === 0 ? Math.ceil(options.leases / 2) : Math.floor(options.leases / 2);
      if (count === 0) continue;
      const order = targets.map((_, i) => i);
      for (const i of round === 0 ? order : order.toReversed()) {
        const target = targets[i]!;
        const { totals, seconds } = await measureLeases(count, target.url(round), target.replicas);
        runs[i]!.totals.push(...totals);
        runs[i]!.seconds += seconds;
      }
    }
    return targets.map((target, i) => ({
      store: target.name,
      leaseToFirstCallMs: latencySummary(runs[i]!.totals),
      leasesPerSecond: runs[i]!.totals.length / runs[i]!.seconds,
      ...puts[i]!,
    }));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function printTable(options: Options, backends: Backend[]): void {
  const cell = (x: number, digits = 2) => x.toFixed(digits).padStart(14);
  console.log(
    `Leases: ${options.leases} sequential leases (2 rounds, ` +
      `reverse order in the second); store puts: 200 ` +
      `awaited one at a time, then ${options.puts} at once`,
  );
  console.log(
    "store".padEnd(22) +
      ["lease p50 ms", "lease p99 ms", "leases/s", "put p50 ms", "put p99 ms", "puts/s"]
        .map((h) => h.padStart(14)).join(""),
  );
  for (const b of backends) {
    console.log(
      b.store.padEnd(22) + cell(b.leaseToFirstCallMs.p50) + cell(b.leaseToFirstCallMs.p99) +
        cell(b.leasesPerSecond, 1) + cell(b.putMs.p50) + cell(b.putMs.p99) +
        cell(b.putsPerSecond, 0),
    );
  }
}

async function main(args: string[]): Promise<void> {
  const options = optionsOrExit(
    args,
    parseOptions,
    "etcd_leases.ts [--leases N] [--puts N] [--json]",
  );
  const backends = await run(options);
  if (options.json) console.log(JSON.stringify({ options, backends }, null, 2));
  else printTable(options, backends);
}

if (import.meta.main) await main(Deno.args);
