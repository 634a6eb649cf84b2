/**
 * Distributed mode latency, in one process: a controller (`startController`, TLS front and
 * router included), a registered exporter (`Exporter.run`) serving a `MockPower`, and a client
 * using the library (`connectController`, `createLease`, `waitForLease`, `openLeaseSocket`,
 * `openExporter`).
 *
 * - **lease to first call**: from `CreateLease` until the first `power.on()` through the router
 *   returns, over `--leases` sequential leases (each released, and the exporter back to
 *   Available, before the next one starts; that wait is not timed). Split into create → Ready,
 *   Ready → session open (Dial, tunnel, `GetReport`) and the first call.
 * - **DriverCall RTT**: `power.on()` through the router (client → lease socket → TLS → router →
 *   exporter → session) next to the same driver served on a local Unix socket (`serve()`),
 *   measured in alternating rounds in the same run, and their ratio.
 *
 * Every hop runs in this one process and event loop, so the router figures include the
 * controller's and the exporter's work for each frame; separate processes spread that work.
 * Benchmarks report, never assert: the exit status does not depend on the figures.
 *
 * Usage: `deno run -A bench/lease_bench.ts [--leases N] [--calls N] [--rounds N] [--warmup N]
 * [--poll-ms N] [--plaintext] [--json]`
 *
 * @module
 */
import {
  bareName,
  createLease,
  openExporter,
  openLeaseSocket,
  releaseLease,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";
// importing the packages registers MockPower (exporter side) and PowerClient (client side)
import { MockPower } from "@jumpstarter/driver-power/driver";
import { PowerClient } from "@jumpstarter/driver-power";
import { clientRegistry } from "../cli/driver_packages.ts";
import { benchOptions, callsInRound, latencySummary, optionsOrExit } from "./_measure.ts";
import { type Lab, leaseOnce, startLab } from "./_lease_lab.ts";

interface Options {
  leases: number;
  calls: number;
  rounds: number;
  warmup: number;
  pollMs: number;
  plaintext: boolean;
  json: boolean;
}

interface Stats {
  samples: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

interface Report {
  options: Omit<Options, "json">;
  leaseToFirstCall: {
    unit: "ms";
    total: Stats;
    createToReady: Stats;
    readyToSession: Stats;
    firstCall: Stats;
  };
  driverCall: {
    unit: "us";
    router: Stats & { callsPerSecond: number };
    local: Stats & { callsPerSecond: number };
    ratio: { p50: number; p99: number; mean: number };
  };
}

function parseOptions(args: string[]): Options {
  const { "poll-ms": pollMs, ...values } = benchOptions(
    args,
    { leases: 100, calls: 2000, rounds: 4, warmup: 200, "poll-ms": 20 },
    ["plaintext", "json"],
  );
  const { leases, calls, rounds, warmup, plaintext, json } = values;
  return { leases, calls, rounds, warmup, pollMs, plaintext, json };
}

function summarize(samples: number[]): Stats {
  return {
    samples: samples.length,
    ...latencySummary(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

function withRate(samplesUs: number[]): Stats & { callsPerSecond: number } {
  const stats = summarize(samplesUs);
  return { ...stats, callsPerSecond: 1e6 / stats.mean };
}

async function measureLeases(lab: Lab, options: Options, dir: string) {
  const phases = { total: [], createToReady: [], readyToSession: [], firstCall: [] } as Record<
    "total" | "createToReady" | "readyToSession" | "firstCall",
    number[]
  >;
  // one unmeasured lease warms up every path (TLS sessions, channels, JIT)
  await lab.exporterAvailable();
  await leaseOnce(lab, dir, 0, options.pollMs);
  for (let i = 1; i <= options.leases; i++) {
    await lab.exporterAvailable();
    const times = await leaseOnce(lab, dir, i, options.pollMs);
    for (const key of Object.keys(phases) as (keyof typeof phases)[]) {
      phases[key].push(times[key]);
    }
  }
  return {
    unit: "ms" as const,
    total: summarize(phases.total),
    createToReady: summarize(phases.createToReady),
    readyToSession: summarize(phases.readyToSession),
    firstCall: summarize(phases.firstCall),
  };
}

async function timeCalls(call: () => Promise<void>, calls: number, samples: number[]) {
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await call();
    samples.push((performance.now() - start) * 1000);
  }
}

async function measureCalls(lab: Lab, options: Options, dir: string) {
  await lab.exporterAvailable();
  const lease = await createLease(lab.client, { selector: "board=virt", durationMs: 3600_000 });
  const name = bareName(lease.name);
  try {
    await waitForLease(lab.client, name, { pollMs: options.pollMs, timeoutMs: 30_000 });
    await using socket = openLeaseSocket(lab.client, name, { path: `${dir}/rtt.sock` });
    await using handle = await openExporter(socket.path, {
      policy: UNSAFE_POLICY,
      registry: clientRegistry,
    });
    const remote = handle.root.children.get("power") as PowerClient;
    await using local = await serve(new MockPower(), PowerClient);
    const targets: [() => Promise<void>, number[]][] = [
      [() => remote.on(), []],
      [() => local.client.on(), []],
    ];
    for (const [call] of targets) await timeCalls(call, options.warmup, []);
    for (let round = 0; round < options.rounds; round++) {
      const calls = callsInRound(options.calls, options.rounds, round);
      const order = round % 2 === 0 ? targets : targets.toReversed();
      for (const [call, samples] of order) await timeCalls(call, calls, samples);
    }
    const router = withRate(targets[0]![1]);
    const localStats = withRate(targets[1]![1]);
    return {
      unit: "us" as const,
      router,
      local: localStats,
      ratio: {
        p50: router.p50 / localStats.p50,
        p99: router.p99 / localStats.p99,
        mean: router.mean / localStats.mean,
      },
    };
  } finally {
    await releaseLease(lab.client, name);
  }
}

async function run(options: Options): Promise<Report> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-lease-bench-sock-" });
  try {
    await using lab = await startLab(options);
    const leaseToFirstCall = await measureLeases(lab, options, dir);
    const driverCall = await measureCalls(lab, options, dir);
    const { json: _json, ...shown } = options;
    return { options: shown, leaseToFirstCall, driverCall };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function row(cells: string[], first = 26): string {
  const [name = "", ...figures] = cells;
  return name.padEnd(first) + figures.map((cell) => cell.padStart(11)).join("");
}

function printTable(report: Report): void {
  const { options, leaseToFirstCall: l, driverCall: d } = report;
  const transport = options.plaintext ? "plaintext" : "TLS";
  console.log(
    `Lease acquisition to first DriverCall: ${options.leases} sequential leases ` +
      `(${transport}, GetLease poll ${options.pollMs} ms), milliseconds`,
  );
  console.log(row(["", "p50", "p99", "mean", "min", "max"]));
  const ms = (name: string, s: Stats) =>
    console.log(row([name, ...[s.p50, s.p99, s.mean, s.min, s.max].map((x) => x.toFixed(2))]));
  ms("create -> first on()", l.total);
  ms("  create -> Ready", l.createToReady);
  ms("  Ready -> session open", l.readyToSession);
  ms("  first on()", l.firstCall);
  console.log();
  console.log(
    `DriverCall round trip (power.on()): ${options.calls} calls per target in ` +
      `${options.rounds} rounds, ${options.warmup} warm-up calls each, microseconds`,
  );
  console.log(row(["", "p50", "p99", "mean", "calls/s"]));
  const us = (name: string, s: Stats & { callsPerSecond: number }) =>
    console.log(
      row([
        name,
        s.p50.toFixed(1),
        s.p99.toFixed(1),
        s.mean.toFixed(1),
        s.callsPerSecond.toFixed(0),
      ]),
    );
  us("through the router", d.router);
  us("local Unix socket", d.local);
  console.log(
    row([
      "ratio router / local",
      `${d.ratio.p50.toFixed(2)}x`,
      `${d.ratio.p99.toFixed(2)}x`,
      `${d.ratio.mean.toFixed(2)}x`,
    ]),
  );
  console.log("(all hops share this process's event loop; see the module doc)");
}

async function main(args: string[]): Promise<void> {
  const options = optionsOrExit(
    args,
    parseOptions,
    "lease_bench.ts [--leases N] [--calls N] [--rounds N] [--warmup N] [--poll-ms N] " +
      "[--plaintext] [--json]",
  );
  const report = await run(options);
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else printTable(report);
}

if (import.meta.main) await main(Deno.args);
