/**
 * The figures of `bench/upstream_vs_ours.ts`: what one run of upstream's client reports, their
 * medians over rounds, the ours/upstream ratios against the targets, and the printed table.
 *
 * @module
 */
import { latencySummary } from "./_measure.ts";

const BYTES_TARGET = 1.2;
const CALL_TARGET = 0.6;

/** What one client run reports (see upstream_client_bench.py). */
export interface ClientFigures {
  call: { p50Us: number; p99Us: number };
  syncCall: { p50Us: number; p99Us: number };
  stubCall: { p50Us: number; p99Us: number };
  exporterCpu: { perCallUs: number; sinkSecondsPerGib: number; echoSecondsPerGib: number };
  /** the client's own CPU over wall-clock time in each byte phase (1.0: one whole core) */
  clientBusy: { sink: number; echo: number };
  sinkMibPerSecond: number;
  echoMibPerSecond: number;
}

export type Exporter = "upstream" | "ours";
export type Floor = "grpcio" | "grpcJs";
export type Summary = ReturnType<typeof summarize>;

/** One upstream version's comparison, as `--json` prints it. */
export interface VersionReport {
  upstream: Summary;
  ours: Summary;
  stubFloorP50Us: Record<Floor, number>;
  ratio: Record<string, number>;
}

export function median(values: number[]): number {
  return latencySummary(values).p50;
}

/** Medians of a series of client runs against one exporter. */
export function summarize(runs: ClientFigures[]) {
  const of = (pick: (run: ClientFigures) => number) => median(runs.map(pick));
  return {
    callP50Us: of((r) => r.call.p50Us),
    callP99Us: of((r) => r.call.p99Us),
    syncCallP50Us: of((r) => r.syncCall.p50Us),
    stubCallP50Us: of((r) => r.stubCall.p50Us),
    cpuPerCallUs: of((r) => r.exporterCpu.perCallUs),
    cpuSinkSecondsPerGib: of((r) => r.exporterCpu.sinkSecondsPerGib),
    cpuEchoSecondsPerGib: of((r) => r.exporterCpu.echoSecondsPerGib),
    clientBusySink: of((r) => r.clientBusy.sink),
    clientBusyEcho: of((r) => r.clientBusy.echo),
    sinkMibPerSecond: of((r) => r.sinkMibPerSecond),
    echoMibPerSecond: of((r) => r.echoMibPerSecond),
  };
}

/** The comparison of one version from both series and the floors' timings. */
export function versionReport(
  figures: Record<Exporter, ClientFigures[]>,
  floors: Record<Floor, number[]>,
): VersionReport {
  const upstream = summarize(figures.upstream);
  const ours = summarize(figures.ours);
  return {
    upstream,
    ours,
    stubFloorP50Us: { grpcio: median(floors.grpcio), grpcJs: median(floors.grpcJs) },
    ratio: {
      sink: ours.sinkMibPerSecond / upstream.sinkMibPerSecond,
      echo: ours.echoMibPerSecond / upstream.echoMibPerSecond,
      callP50: ours.callP50Us / upstream.callP50Us,
      callP99: ours.callP99Us / upstream.callP99Us,
      syncCallP50: ours.syncCallP50Us / upstream.syncCallP50Us,
      stubCallP50: ours.stubCallP50Us / upstream.stubCallP50Us,
      cpuPerCall: ours.cpuPerCallUs / upstream.cpuPerCallUs,
      cpuSink: ours.cpuSinkSecondsPerGib / upstream.cpuSinkSecondsPerGib,
      cpuEcho: ours.cpuEchoSecondsPerGib / upstream.cpuEchoSecondsPerGib,
    },
  };
}

function verdict(ratio: number, target: number, atLeast: boolean): string {
  const met = atLeast ? ratio >= target : ratio <= target;
  return `(${atLeast ? ">=" : "<="} ${target}x: ${met ? "met" : "NOT met"})`;
}

/** Prints the table: one block per upstream version. */
export function printReport(
  report: Record<string, VersionReport>,
  heading: string,
): void {
  console.log(heading);
  for (const [version, { upstream: up, ours, ratio, stubFloorP50Us }] of Object.entries(report)) {
    const row = (label: string, u: number, o: number, r: number, unit: string, note = "") =>
      console.log(
        `  ${label.padEnd(26)} ${u.toFixed(0).padStart(7)} ${o.toFixed(0).padStart(7)} ${unit}` +
          `  ${r.toFixed(2)}x  ${note}`,
      );
    const r = ratio as Record<string, number>;
    console.log(`upstream ${version}:         upstream    ours`);
    row(
      "bytes to a TCP sink",
      up.sinkMibPerSecond,
      ours.sinkMibPerSecond,
      r.sink!,
      "MiB/s",
      verdict(r.sink!, BYTES_TARGET, true),
    );
    row(
      "echo round trip",
      up.echoMibPerSecond,
      ours.echoMibPerSecond,
      r.echo!,
      "MiB/s",
      verdict(r.echo!, BYTES_TARGET, true),
    );
    row(
      "DriverCall p50 (async)",
      up.callP50Us,
      ours.callP50Us,
      r.callP50!,
      "us   ",
      verdict(r.callP50!, CALL_TARGET, false),
    );
    row("DriverCall p99 (async)", up.callP99Us, ours.callP99Us, r.callP99!, "us   ");
    row("DriverCall p50 (blocking)", up.syncCallP50Us, ours.syncCallP50Us, r.syncCallP50!, "us   ");
    row(
      "DriverCall p50 (bare stub)",
      up.stubCallP50Us,
      ours.stubCallP50Us,
      r.stubCallP50!,
      "us   ",
    );
    console.log(
      `  bare-stub floor p50: a grpcio server ${stubFloorP50Us.grpcio.toFixed(0)} us, ` +
        `a grpc-js server under Deno ${stubFloorP50Us.grpcJs.toFixed(0)} us`,
    );
    console.log("  exporter CPU (lower is better; less skewed by other load):");
    row("  per DriverCall", up.cpuPerCallUs, ours.cpuPerCallUs, r.cpuPerCall!, "us   ");
    row(
      "  per GiB to the sink",
      up.cpuSinkSecondsPerGib * 1000,
      ours.cpuSinkSecondsPerGib * 1000,
      r.cpuSink!,
      "ms   ",
    );
    row(
      "  per GiB echoed",
      up.cpuEchoSecondsPerGib * 1000,
      ours.cpuEchoSecondsPerGib * 1000,
      r.cpuEcho!,
      "ms   ",
    );
    console.log("  the client's own CPU, in cores (near 1: the client is the limit):");
    const busy = (label: string, u: number, o: number) =>
      console.log(`  ${label.padEnd(26)} ${u.toFixed(2).padStart(7)} ${o.toFixed(2).padStart(7)}`);
    busy("  while pushing to the sink", up.clientBusySink, ours.clientBusySink);
    busy("  while echoing", up.clientBusyEcho, ours.clientBusyEcho);
  }
}
