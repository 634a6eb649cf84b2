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
 * By default (`--cpus split`) the client runs alone on CPU 0 and everything else on CPU 1, as in a
 * lab where the client and the exporter are different machines; `--cpus shared` lets them all
 * compete for every CPU. The client's own CPU use in each byte phase is printed: near one core,
 * the client is the limit of that figure, whichever exporter it talks to.
 *
 * Usage: `deno run -A bench/upstream_vs_ours.ts [--versions head,0.7.0] [--rounds 3]
 *   [--calls 500] [--sink-mib 256] [--echo-mib 64] [--cpus split|shared] [--json]`
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { createServer, ExporterService, methodPath } from "@jumpstarter/protos";
import { upstreamPeer, type UpstreamVersion } from "../tests/upstream/_peer.ts";
import { positiveInt } from "./_measure.ts";
import { processTree, runToEnd, startUntilLine } from "./_processes.ts";
import {
  type ClientFigures,
  type Exporter,
  type Floor,
  printReport,
  type VersionReport,
  versionReport,
} from "./_upstream_report.ts";

const CLI = new URL("../cli/main.ts", import.meta.url).pathname;
const CLIENT = new URL("./upstream_client_bench.py", import.meta.url).pathname;
const REPO = new URL("../", import.meta.url).pathname;

/**
 * Where the processes run. `split`: upstream's client alone on CPU 0, and this process (the
 * discarding sink, the grpc-js floor), both exporters, their children and the grpcio floor on
 * CPU 1, as a lab has them (the client on a laptop or CI runner, the exporter on its own host with
 * the board's far end): the client and the exporter never take each other's CPU, and both
 * exporters share theirs with the same sink. `shared`: all of them on every CPU, as the scheduler
 * likes.
 */
type Cpus = "split" | "shared";

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

async function compareVersion(
  version: UpstreamVersion,
  config: string,
  dir: string,
  options: { rounds: number; clientArgs: string[]; grpcJsFloor: string; clientOn: string[] },
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
      const [program, ...rest] = [...options.clientOn, peer.python, ...args];
      const stdout = await runToEnd(program!, rest, {
        env: { ...peer.env, JUMPSTARTER_HOST: sockets[exporter], JMP_DRIVERS_ALLOW: "UNSAFE" },
        timeoutMs: 300_000,
      });
      const line = stdout.trim().split("\n").at(-1) ?? "";
      figures[exporter].push(JSON.parse(line) as ClientFigures);
      console.error(`[${version} round ${round + 1}] ${exporter}: ${line}`);
    }
    for (const floor of ["grpcio", "grpcJs"] as const) {
      const args = [CLIENT, "--stub-only", floorSockets[floor], ...options.clientArgs];
      const [program, ...rest] = [...options.clientOn, peer.python, ...args];
      const stdout = await runToEnd(program!, rest, { env: peer.env, timeoutMs: 120_000 });
      const line = stdout.trim().split("\n").at(-1) ?? "";
      floors[floor].push((JSON.parse(line) as Pick<ClientFigures, "stubCall">).stubCall.p50Us);
      console.error(`[${version} round ${round + 1}] ${floor} floor: ${line}`);
    }
  }
  return { figures, floors };
}

/**
 * Puts this process (and so every child it starts after) on CPU 1, and returns the command prefix
 * that runs the client on CPU 0; `shared` changes nothing. A machine with one CPU can only share.
 */
async function placeProcesses(cpus: Cpus): Promise<string[]> {
  if (cpus === "shared") return [];
  if (navigator.hardwareConcurrency < 2) {
    throw new RangeError("--cpus split: this machine has one CPU (use --cpus shared)");
  }
  const pinned = await new Deno.Command("taskset", {
    args: ["--all-tasks", "--pid", "--cpu-list", "1", String(Deno.pid)],
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error("--cpus split needs taskset (util-linux); install it or use --cpus shared");
  });
  if (!pinned.success) {
    throw new Error(
      `taskset could not pin this process: ${new TextDecoder().decode(pinned.stderr)}`,
    );
  }
  return ["taskset", "--cpu-list", "0"];
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
      cpus: { type: "string", default: "split" },
      json: { type: "boolean", default: false },
    },
  });
  const versions = values.versions.split(",").map((v) => v.trim());
  for (const version of versions) {
    if (version !== "head" && version !== "0.7.0") {
      throw new RangeError(`--versions: unknown upstream version "${version}" (head, 0.7.0)`);
    }
  }
  if (values.cpus !== "split" && values.cpus !== "shared") {
    throw new RangeError(`--cpus: "${values.cpus}" is neither split nor shared`);
  }
  const cpus: Cpus = values.cpus;
  const rounds = positiveInt("rounds", values.rounds, 3);
  const clientArgs = [
    "--calls",
    String(positiveInt("calls", values.calls, 500)),
    "--sink-mib",
    String(positiveInt("sink-mib", values["sink-mib"], 256)),
    "--echo-mib",
    String(positiveInt("echo-mib", values["echo-mib"], 64)),
  ];
  const clientOn = await placeProcesses(cpus);
  const dir = await Deno.makeTempDir({ prefix: "jmp-bench-upstream-" });
  const sink = discardingSink();
  const config = `${dir}/exporter.yaml`;
  await Deno.writeTextFile(config, exporterConfig(sink.port));
  const report: Record<string, VersionReport> = {};
  const floorSocket = `${dir}/grpc-js-floor.sock`;
  const floorServer = await grpcJsFloor(floorSocket);
  try {
    for (const version of versions as UpstreamVersion[]) {
      const { figures, floors } = await compareVersion(version, config, dir, {
        rounds,
        clientArgs,
        grpcJsFloor: floorSocket,
        clientOn,
      });
      report[version] = versionReport(figures, floors);
    }
  } finally {
    floorServer.forceShutdown();
    sink.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  if (values.json) {
    console.log(JSON.stringify({ cpus, rounds, versions: report }, null, 2));
    return;
  }
  const placement = cpus === "split"
    ? "the client on CPU 0, the exporters on CPU 1"
    : "every process on every CPU";
  printReport(
    report,
    `Upstream's Python client, upstream's exporter vs ours; median of ${rounds} rounds; ${placement}`,
  );
}

if (import.meta.main) await main();
