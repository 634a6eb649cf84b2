/**
 * DriverCall round-trip time against a bare grpc-js echo, both over a Unix socket, in one process.
 *
 * - **baseline**: a grpc-js unary call whose server returns the request bytes unchanged (identity
 *   serializers, a 42-byte payload, the size of an encoded `DriverCallRequest` for `on()`). It is
 *   the floor any gRPC call over a Unix socket pays in this runtime.
 * - **driver call**: `PowerClient.on()` against `MockPower` served by the real `Session`
 *   (`serve()` from `@jumpstarter/lib/testing`): argument `Value` encoding, protobuf messages,
 *   session dispatch, the driver's log line and the result decoding.
 *
 * Both targets are warmed up, then measured call by call (sequentially, `performance.now()`) in
 * several rounds that alternate which target goes first, so drift on a noisy machine affects
 * both alike. The table shows p50, p99 and mean latency in microseconds and the sequential
 * throughput; the ratios are driver call / baseline, so `1.00x` would mean the framework adds
 * nothing over bare gRPC. The target (overhead at most 1.5x the bare echo) is reported, never
 * enforced: the exit status does not depend on the figures.
 *
 * Usage: `deno run -A bench/driver_call_rtt.ts [--calls N] [--rounds N] [--warmup N] [--json]`
 * (`--calls` is the number of measured calls per target, split across the rounds).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { serve } from "@jumpstarter/lib/testing";
import { MockPower } from "@jumpstarter/driver-power/driver";
import { PowerClient } from "@jumpstarter/driver-power";
import { benchOptions, callsInRound, latencySummary, optionsOrExit } from "./_measure.ts";

const TARGET_RATIO = 1.5;
const ECHO_PATH = "/bench.Echo/Echo";
const ECHO_PAYLOAD_BYTES = 42;

interface Options {
  calls: number;
  rounds: number;
  warmup: number;
  json: boolean;
}

/** Something to measure: one awaited call, and how to release it. */
interface Target {
  call(): Promise<void>;
  close(): Promise<void>;
}

interface Stats {
  calls: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  callsPerSecond: number;
}

interface Report {
  options: { calls: number; rounds: number; warmup: number };
  baseline: Stats;
  driverCall: Stats;
  ratio: { p50: number; p99: number; mean: number };
  target: { maxRatio: number; p50Met: boolean; p99Met: boolean };
}

function parseOptions(args: string[]): Options {
  return benchOptions(args, { calls: 2000, rounds: 4, warmup: 200 }, ["json"]);
}

function echoDefinition(): grpc.ServiceDefinition {
  const identity = (bytes: Buffer): Buffer => bytes;
  return {
    echo: {
      path: ECHO_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

function bindServer(server: grpc.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(
      address,
      grpc.ServerCredentials.createInsecure(),
      (error) => error ? reject(error) : resolve(),
    );
  });
}

function unaryEcho(client: grpc.Client, payload: Buffer): Promise<void> {
  const identity = (bytes: Buffer): Buffer => bytes;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      ECHO_PATH,
      identity,
      identity,
      payload,
      (error) => error ? reject(error) : resolve(),
    );
  });
}

function shutdownServer(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => server.tryShutdown(() => resolve()));
}

async function startBaseline(): Promise<Target> {
  const dir = await Deno.makeTempDir({ prefix: "jumpstarter-bench-" });
  const address = `unix:${dir}/echo.sock`;
  const server = new grpc.Server();
  const echo: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    callback(null, call.request);
  };
  server.addService(echoDefinition(), { echo });
  await bindServer(server, address);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const payload = Buffer.alloc(ECHO_PAYLOAD_BYTES, 0x2a);
  return {
    call: () => unaryEcho(client, payload),
    close: async () => {
      client.close();
      await shutdownServer(server);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function startDriverCall(): Promise<Target> {
  const served = await serve(new MockPower(), PowerClient);
  return {
    call: () => served.client.on(),
    close: () => served.close(),
  };
}

async function warmUp(target: Target, calls: number): Promise<void> {
  for (let i = 0; i < calls; i++) await target.call();
}

/** Appends the latency of `calls` sequential calls, in microseconds, to `samples`. */
async function measure(target: Target, calls: number, samples: number[]): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await target.call();
    samples.push((performance.now() - start) * 1000);
  }
}

/** Calls of round `round` so that the rounds add up to exactly `total`. */
function summarize(samples: number[]): Stats {
  const { p50, p99, mean } = latencySummary(samples);
  return {
    calls: samples.length,
    p50Us: p50,
    p99Us: p99,
    meanUs: mean,
    callsPerSecond: 1e6 / mean,
  };
}

async function run(options: Options): Promise<Report> {
  const baseline = await startBaseline();
  try {
    const driverCall = await startDriverCall();
    try {
      await warmUp(baseline, options.warmup);
      await warmUp(driverCall, options.warmup);
      const baselineSamples: number[] = [];
      const driverCallSamples: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        const calls = callsInRound(options.calls, options.rounds, round);
        const pairs: [Target, number[]][] = [
          [baseline, baselineSamples],
          [driverCall, driverCallSamples],
        ];
        // Alternate who goes first so neither always runs right after the other's GC debt.
        if (round % 2 === 1) pairs.reverse();
        for (const [target, samples] of pairs) await measure(target, calls, samples);
      }
      return report(options, summarize(baselineSamples), summarize(driverCallSamples));
    } finally {
      await driverCall.close();
    }
  } finally {
    await baseline.close();
  }
}

function report(options: Options, baseline: Stats, driverCall: Stats): Report {
  const ratio = {
    p50: driverCall.p50Us / baseline.p50Us,
    p99: driverCall.p99Us / baseline.p99Us,
    mean: driverCall.meanUs / baseline.meanUs,
  };
  return {
    options: { calls: options.calls, rounds: options.rounds, warmup: options.warmup },
    baseline,
    driverCall,
    ratio,
    target: {
      maxRatio: TARGET_RATIO,
      p50Met: ratio.p50 <= TARGET_RATIO,
      p99Met: ratio.p99 <= TARGET_RATIO,
    },
  };
}

function row(cells: string[]): string {
  const [name = "", ...figures] = cells;
  return name.padEnd(14) + figures.map((cell) => cell.padStart(12)).join("");
}

function statsRow(name: string, stats: Stats): string {
  return row([
    name,
    stats.p50Us.toFixed(1),
    stats.p99Us.toFixed(1),
    stats.meanUs.toFixed(1),
    stats.callsPerSecond.toFixed(0),
  ]);
}

function verdict(met: boolean): string {
  return met ? "met" : "NOT met";
}

function printTable(result: Report): void {
  const { options, ratio, target } = result;
  console.log(
    `DriverCall RTT over a Unix socket: ${options.calls} calls per target ` +
      `in ${options.rounds} rounds, ${options.warmup} warm-up calls each`,
  );
  console.log(row(["", "p50 (us)", "p99 (us)", "mean (us)", "calls/s"]));
  console.log(statsRow("bare echo", result.baseline));
  console.log(statsRow("driver call", result.driverCall));
  console.log(
    row([
      "ratio",
      `${ratio.p50.toFixed(2)}x`,
      `${ratio.p99.toFixed(2)}x`,
      `${ratio.mean.toFixed(2)}x`,
    ]),
  );
  console.log(
    `target: overhead at most ${target.maxRatio}x the bare echo -- ` +
      `p50 ${verdict(target.p50Met)} (${ratio.p50.toFixed(2)}x), ` +
      `p99 ${verdict(target.p99Met)} (${ratio.p99.toFixed(2)}x)`,
  );
}

async function main(args: string[]): Promise<void> {
  const options = optionsOrExit(
    args,
    parseOptions,
    "driver_call_rtt.ts [--calls N] [--rounds N] [--warmup N] [--json]",
  );
  const result = await run(options);
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else printTable(result);
}

if (import.meta.main) await main(Deno.args);
