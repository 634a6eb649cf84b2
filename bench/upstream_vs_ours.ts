/**
 * Upstream's own Python client against upstream's exporter and ours, in one run.
 *
 * Both exporters serve the same config (upstream's MockPower as `power`, EchoNetwork as `echo`,
 * a TcpNetwork `sink` whose far end, a listener in this process, discards what it gets) on a
 * Unix socket: upstream's through `../shared/peers/upstream/serve.py`, ours through
 * `cli/main.ts run`. For each installed upstream version, `bench/upstream_client_bench.py` (with
 * that version's client library) measures each exporter in turn, alternating, for `--rounds`
 * rounds: power DriverCall p50/p99 (through the client library, blocking and async, and through
 * upstream's bare generated stub), `--sink-mib` MiB pushed to the sink, `--echo-mib` MiB echoed.
 * Medians of the rounds are printed with ours/upstream ratios and the targets (bytes at
 * least 1.2x upstream, DriverCall p50 at most 0.6x); targets are reported, never enforced. The
 * exporter's own CPU time per DriverCall and per GiB (read from /proc around each phase) is
 * printed too: on a shared machine it moves far less than the wall-clock figures. So are the
 * floors of a bare-stub DriverCall on each gRPC stack, timed in the same rounds: a grpcio server
 * and a grpc-js server (on our HTTP/2 settings, in this process) that answer at once.
 *
 * Usage: `deno run -A bench/upstream_vs_ours.ts [--versions head,0.7.0] [--rounds 3]
 *   [--calls 500] [--sink-mib 256] [--echo-mib 64] [--json]`
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { createServer, ExporterService, methodPath } from "@jumpstarter/protos";
import { upstreamPeer, type UpstreamVersion } from "../tests/upstream/_peer.ts";
import { latencySummary, positiveInt } from "./_measure.ts";
import { processTree, runToEnd, startUntilLine } from "./_processes.ts";

const CLI = new URL("../cli/main.ts", import.meta.url).pathname;
const CLIENT = new URL("./upstream_client_bench.py", import.meta.url).pathname;
const REPO = new URL("../", import.meta.url).pathname;
const BYTES_TARGET = 1.2;
const CALL_TARGET = 0.6;

/** What one client run reports (see upstream_client_bench.py). */
interface ClientFigures {
  call: { p50Us: number; p99Us: number };
  syncCall: { p50Us: number; p99Us: number };
  stubCall: { p50Us: number; p99Us: number };
  exporterCpu: { perCallUs: number; sinkSecondsPerGib: number; echoSecondsPerGib: number };
  sinkMibPerSecond: number;
  echoMibPerSecond: number;
}

type Exporter = "upstream" | "ours";
type Floor = "grpcio" | "grpcJs";

/** A TCP listener that reads every connection to its end, then closes it. */
function discardingSink(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(256 * 1024);
        while (await conn.read(buffer) !== null) { /* discard */ }
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return { port: listener.addr.port, close: () => listener.close() };
}

/** A grpc-js server (our settings) answering every DriverCall at once with an empty reply. */
async function grpcJsFloor(path: string): Promise<grpc.Server> {
  const identity = (bytes: Buffer) => bytes;
  const reply = Buffer.alloc(0);
  const driverCall = ExporterService.method.driverCall;
  const server = createServer();
  server.addService({
    driverCall: {
      path: methodPath(driverCall),
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  }, {
    driverCall: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, reply),
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(
      `unix:${path}`,
      grpc.ServerCredentials.createInsecure(),
      (error) => error ? reject(error) : resolve(),
    )
  );
  return server;
}

function exporterConfig(sinkPort: number): string {
  return [
    "apiVersion: jumpstarter.dev/v1alpha1",
    "kind: ExporterConfig",
    "metadata:",
    "  namespace: default",
    "  name: bench",
    'endpoint: ""',
    'token: ""',
    "export:",
    "  power:",
    "    type: jumpstarter_driver_power.driver.MockPower",
    "  echo:",
    "    type: jumpstarter_driver_network.driver.EchoNetwork",
    "  sink:",
    "    type: jumpstarter_driver_network.driver.TcpNetwork",
    "    config:",
    "      host: 127.0.0.1",
    `      port: ${sinkPort}`,
    "",
  ].join("\n");
}

function median(values: number[]): number {
  return latencySummary(values).p50;
}

async function compareVersion(
  version: UpstreamVersion,
  config: string,
  dir: string,
  options: { rounds: number; clientArgs: string[]; grpcJsFloor: string },
): Promise<{ figures: Record<Exporter, ClientFigures[]>; floors: Record<Floor, number[]> }> {
  const peer = upstreamPeer(version);
  const upstreamSocket = `${dir}/upstream-${version}.sock`;
  await using upstream = await startUntilLine(peer.python, {
    args: [peer.serveScript, "--config", config, "--unix", upstreamSocket],
    env: { ...peer.env, LOG_LEVEL: "WARNING" },
    ready: (line) => line.startsWith("READY"),
    timeoutMs: 60_000,
  });
  await using ours = await startUntilLine(Deno.execPath(), {
    args: ["run", "-A", CLI, "run", "--exporter-config", config],
    cwd: REPO,
    ready: (line) => line.startsWith("/"),
    timeoutMs: 60_000,
  });
  const grpcioFloor = `${dir}/grpcio-floor-${version}.sock`;
  await using _floor = await startUntilLine(peer.python, {
    args: [CLIENT, "--serve-floor", grpcioFloor],
    env: peer.env,
    ready: (line) => line.startsWith("READY"),
    timeoutMs: 60_000,
  });
  const floorSockets: Record<Floor, string> = { grpcio: grpcioFloor, grpcJs: options.grpcJsFloor };
  const floors: Record<Floor, number[]> = { grpcio: [], grpcJs: [] };
  const sockets: Record<Exporter, string> = { upstream: upstreamSocket, ours: ours.line };
  // ours serves from a confined child of `jmp run`: count the whole tree
  const pids: Record<Exporter, string> = {
    upstream: String(upstream.pid),
    ours: processTree(ours.pid).join(","),
  };
  const figures: Record<Exporter, ClientFigures[]> = { upstream: [], ours: [] };
  for (let round = 0; round < options.rounds; round++) {
    // alternate which goes first, so neither always meets a warmer or colder machine
    const order: Exporter[] = round % 2 === 0 ? ["upstream", "ours"] : ["ours", "upstream"];
    for (const exporter of order) {
      const args = [CLIENT, ...options.clientArgs, "--exporter-pids", pids[exporter]];
      const stdout = await runToEnd(peer.python, args, {
        env: { ...peer.env, JUMPSTARTER_HOST: sockets[exporter], JMP_DRIVERS_ALLOW: "UNSAFE" },
        timeoutMs: 300_000,
      });
      const line = stdout.trim().split("\n").at(-1) ?? "";
      figures[exporter].push(JSON.parse(line) as ClientFigures);
      console.error(`[${version} round ${round + 1}] ${exporter}: ${line}`);
    }
    for (const floor of ["grpcio", "grpcJs"] as const) {
      const args = [CLIENT, "--stub-only", floorSockets[floor], ...options.clientArgs];
      const stdout = await runToEnd(peer.python, args, { env: peer.env, timeoutMs: 120_000 });
      const line = stdout.trim().split("\n").at(-1) ?? "";
      floors[floor].push((JSON.parse(line) as Pick<ClientFigures, "stubCall">).stubCall.p50Us);
      console.error(`[${version} round ${round + 1}] ${floor} floor: ${line}`);
    }
  }
  return { figures, floors };
}

function summarize(runs: ClientFigures[]) {
  return {
    callP50Us: median(runs.map((r) => r.call.p50Us)),
    callP99Us: median(runs.map((r) => r.call.p99Us)),
    syncCallP50Us: median(runs.map((r) => r.syncCall.p50Us)),
    stubCallP50Us: median(runs.map((r) => r.stubCall.p50Us)),
    cpuPerCallUs: median(runs.map((r) => r.exporterCpu.perCallUs)),
    cpuSinkSecondsPerGib: median(runs.map((r) => r.exporterCpu.sinkSecondsPerGib)),
    cpuEchoSecondsPerGib: median(runs.map((r) => r.exporterCpu.echoSecondsPerGib)),
    sinkMibPerSecond: median(runs.map((r) => r.sinkMibPerSecond)),
    echoMibPerSecond: median(runs.map((r) => r.echoMibPerSecond)),
  };
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      versions: { type: "string", default: "head,0.7.0" },
      rounds: { type: "string" },
      calls: { type: "string" },
      "sink-mib": { type: "string" },
      "echo-mib": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const versions = values.versions.split(",").map((v) => v.trim());
  for (const version of versions) {
    if (version !== "head" && version !== "0.7.0") {
      throw new RangeError(`--versions: unknown upstream version "${version}" (head, 0.7.0)`);
    }
  }
  const rounds = positiveInt("rounds", values.rounds, 3);
  const clientArgs = [
    "--calls",
    String(positiveInt("calls", values.calls, 500)),
    "--sink-mib",
    String(positiveInt("sink-mib", values["sink-mib"], 256)),
    "--echo-mib",
    String(positiveInt("echo-mib", values["echo-mib"], 64)),
  ];
  const dir = await Deno.makeTempDir({ prefix: "jmp-bench-upstream-" });
  const sink = discardingSink();
  const config = `${dir}/exporter.yaml`;
  await Deno.writeTextFile(config, exporterConfig(sink.port));
  const report: Record<string, unknown> = {};
  const floorSocket = `${dir}/grpc-js-floor.sock`;
  const floorServer = await grpcJsFloor(floorSocket);
  try {
    for (const version of versions as UpstreamVersion[]) {
      const { figures, floors } = await compareVersion(version, config, dir, {
        rounds,
        clientArgs,
        grpcJsFloor: floorSocket,
      });
      const upstream = summarize(figures.upstream);
      const ours = summarize(figures.ours);
      report[version] = {
        upstream,
        ours,
        stubFloorP50Us: { grpcio: median(floors.grpcio), grpcJs: median(floors.grpcJs) },
        ratio: {
          sink: ours.sinkMibPerSecond / upstream.sinkMibPerSecond,
          echo: ours.echoMibPerSecond / upstream.echoMibPerSecond,
          callP50: ours.callP50Us / upstream.callP50Us,
          syncCallP50: ours.syncCallP50Us / upstream.syncCallP50Us,
          stubCallP50: ours.stubCallP50Us / upstream.stubCallP50Us,
          cpuPerCall: ours.cpuPerCallUs / upstream.cpuPerCallUs,
          cpuSink: ours.cpuSinkSecondsPerGib / upstream.cpuSinkSecondsPerGib,
          cpuEcho: ours.cpuEchoSecondsPerGib / upstream.cpuEchoSecondsPerGib,
        },
      };
    }
  } finally {
    floorServer.forceShutdown();
    sink.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`Upstream's Python client, upstream's exporter vs ours; median of ${rounds} rounds`);
  for (const [version, entry] of Object.entries(report)) {
    const { upstream, ours, ratio, stubFloorP50Us } = entry as {
      upstream: ReturnType<typeof summarize>;
      ours: ReturnType<typeof summarize>;
      ratio: Record<string, number>;
      stubFloorP50Us: Record<Floor, number>;
    };
    const row = (label: string, up: number, our: number, r: number, unit: string, ok: string) =>
      console.log(
        `  ${label.padEnd(26)} ${up.toFixed(0).padStart(7)} ${our.toFixed(0).padStart(7)} ${unit}` +
          `  ${r.toFixed(2)}x  ${ok}`,
      );
    console.log(`upstream ${version}:         upstream    ours`);
    row(
      "bytes to a TCP sink",
      upstream.sinkMibPerSecond,
      ours.sinkMibPerSecond,
      ratio.sink!,
      "MiB/s",
      ratio.sink! >= BYTES_TARGET ? `(>= ${BYTES_TARGET}x: met)` : `(>= ${BYTES_TARGET}x: NOT met)`,
    );
    row(
      "echo round trip",
      upstream.echoMibPerSecond,
      ours.echoMibPerSecond,
      ratio.echo!,
      "MiB/s",
      ratio.echo! >= BYTES_TARGET ? `(>= ${BYTES_TARGET}x: met)` : `(>= ${BYTES_TARGET}x: NOT met)`,
    );
    row(
      "DriverCall p50 (async)",
      upstream.callP50Us,
      ours.callP50Us,
      ratio.callP50!,
      "us   ",
      ratio.callP50! <= CALL_TARGET ? `(<= ${CALL_TARGET}x: met)` : `(<= ${CALL_TARGET}x: NOT met)`,
    );
    row(
      "DriverCall p99 (async)",
      upstream.callP99Us,
      ours.callP99Us,
      ours.callP99Us / upstream.callP99Us,
      "us   ",
      "",
    );
    row(
      "DriverCall p50 (blocking)",
      upstream.syncCallP50Us,
      ours.syncCallP50Us,
      ratio.syncCallP50!,
      "us   ",
      "",
    );
    row(
      "DriverCall p50 (bare stub)",
      upstream.stubCallP50Us,
      ours.stubCallP50Us,
      ratio.stubCallP50!,
      "us   ",
      "",
    );
    console.log(
      `  bare-stub floor p50: a grpcio server ${stubFloorP50Us.grpcio.toFixed(0)} us, ` +
        `a grpc-js server under Deno ${stubFloorP50Us.grpcJs.toFixed(0)} us`,
    );
    console.log("  exporter CPU (lower is better; less skewed by other load):");
    row(
      "  per DriverCall",
      upstream.cpuPerCallUs,
      ours.cpuPerCallUs,
      ratio.cpuPerCall!,
      "us   ",
      "",
    );
    row(
      "  per GiB to the sink",
      upstream.cpuSinkSecondsPerGib * 1000,
      ours.cpuSinkSecondsPerGib * 1000,
      ratio.cpuSink!,
      "ms   ",
      "",
    );
    row(
      "  per GiB echoed",
      upstream.cpuEchoSecondsPerGib * 1000,
      ours.cpuEchoSecondsPerGib * 1000,
      ratio.cpuEcho!,
      "ms   ",
      "",
    );
  }
}

if (import.meta.main) await main();
