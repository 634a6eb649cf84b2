/**
 * DriverCall through the lean unary path (`protos/grpc_lean_unary.ts`) against grpc-js's own
 * server path, both serving the same `Session` (MockPower) in this process, timed by upstream's
 * generated Python stub (`upstream_client_bench.py --stub-only --stub-uuid`).
 *
 * The grpc-js target is the same server setup with a pass-through interceptor, which keeps every
 * call on grpc-js. Rounds alternate which target goes first. Per round: the client's p50/p99 and
 * this process's CPU time per call (only one target is called at a time, and other load on the
 * machine skews CPU time far less than wall-clock latency). Medians of the rounds are printed with
 * lean/grpc-js ratios; nothing is enforced.
 *
 * Usage: `deno run -A bench/lean_unary.ts [--version head|0.7.0] [--rounds 8] [--calls 1000]`
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  createServer,
  ExporterService,
  RouterService,
  serviceDefinition,
} from "@jumpstarter/protos";
import { Session } from "@jumpstarter/lib/exporter";
import { MockPower } from "@jumpstarter/driver-power/driver";
import { upstreamPeer, type UpstreamVersion } from "../tests/upstream/_peer.ts";
import { latencySummary, positiveInt } from "./_measure.ts";
import { runToEnd } from "./_processes.ts";

const CLIENT = new URL("./upstream_client_bench.py", import.meta.url).pathname;
type Target = "lean" | "grpcJs";

interface Round {
  p50Us: number;
  p99Us: number;
  cpuPerCallUs: number;
}

const passThrough: grpc.ServerInterceptor = (_method, call) =>
  new grpc.ServerInterceptingCall(call);

async function serveOn(
  session: Session,
  path: string,
  interceptors: grpc.ServerInterceptor[],
): Promise<grpc.Server> {
  const server = createServer(interceptors.length ? { interceptors } : {});
  server.addService(serviceDefinition(ExporterService), session.service());
  server.addService(serviceDefinition(RouterService), session.routerService());
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(
      `unix:${path}`,
      grpc.ServerCredentials.createInsecure(),
      (error) => error ? reject(error) : resolve(),
    )
  );
  return server;
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      version: { type: "string", default: "head" },
      rounds: { type: "string" },
      calls: { type: "string" },
    },
  });
  if (values.version !== "head" && values.version !== "0.7.0") {
    throw new Error(`--version: "${values.version}" is neither head nor 0.7.0`);
  }
  const peer = upstreamPeer(values.version as UpstreamVersion);
  const rounds = positiveInt("rounds", values.rounds, 8);
  const calls = positiveInt("calls", values.calls, 1000);
  const session = new Session(new MockPower());
  await session.open();
  const dir = await Deno.makeTempDir({ prefix: "jmp-lean-bench-" });
  const sockets: Record<Target, string> = {
    lean: `${dir}/lean.sock`,
    grpcJs: `${dir}/grpc-js.sock`,
  };
  const servers = [
    await serveOn(session, sockets.lean, []),
    await serveOn(session, sockets.grpcJs, [passThrough]),
  ];
  const results: Record<Target, Round[]> = { lean: [], grpcJs: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      const order: Target[] = round % 2 === 0 ? ["lean", "grpcJs"] : ["grpcJs", "lean"];
      for (const target of order) {
        const args = [
          CLIENT,
          "--stub-only",
          sockets[target],
          "--stub-uuid",
          session.root.uuid,
          "--stub-calls",
          String(calls),
        ];
        const before = cpuMicros();
        const stdout = await runToEnd(peer.python, args, { env: peer.env, timeoutMs: 120_000 });
        const cpu = cpuMicros() - before;
        const line = stdout.trim().split("\n").at(-1) ?? "";
        const stub = (JSON.parse(line) as { stubCall: { p50Us: number; p99Us: number } }).stubCall;
        // the client's 20 warm-up calls land here too
        results[target].push({ ...stub, cpuPerCallUs: cpu / (calls + 20) });
        console.error(`[round ${round + 1}] ${target}: ${JSON.stringify(results[target].at(-1))}`);
      }
    }
  } finally {
    for (const server of servers) server.forceShutdown();
    await session.close();
    await Deno.remove(dir, { recursive: true });
  }
  const median = (target: Target, key: keyof Round) =>
    latencySummary(results[target].map((round) => round[key])).p50;
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  console.log(
    `DriverCall from upstream ${values.version}'s stub, lean path vs grpc-js; median of ${rounds} ` +
      `rounds of ${calls} calls (load ${load})`,
  );
  console.log("                          lean   grpc-js");
  for (
    const [label, key] of [["p50 (us)", "p50Us"], ["p99 (us)", "p99Us"], [
      "exporter CPU/call (us)",
      "cpuPerCallUs",
    ]] as const
  ) {
    const lean = median("lean", key);
    const grpcJs = median("grpcJs", key);
    console.log(
      `  ${label.padEnd(22)} ${lean.toFixed(0).padStart(6)} ${grpcJs.toFixed(0).padStart(9)}  ` +
        `${(lean / grpcJs).toFixed(2)}x`,
    );
  }
}

if (import.meta.main) await main();
