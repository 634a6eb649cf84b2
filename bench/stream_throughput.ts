/**
 * Byte-stream throughput, client -> exporter, over a Unix socket, in one process:
 *
 * - **raw socket**: `Deno.connect` to a `Deno.listen` Unix socket, bytes copied and discarded.
 * - **bare grpc-js**: one bidirectional grpc-js stream of raw 64 KiB messages (identity
 *   serializers), discarded by the server: the floor for anything carried over gRPC here. It is
 *   measured with HTTP/2's default 64 KiB windows, with 1, 4 and 16 MiB, and with the windows
 *   every server and channel of ours uses (`HTTP2_WINDOW_BYTES`), to pick that setting.
 * - **session stream**: `DriverClient.stream()` on a driver whose byte-stream method discards
 *   what it receives, through the real Session: frame codec, GOAWAY handling, web-stream
 *   adapters and backpressure on both sides.
 * - **fast path**: the same `DriverClient.stream()` with the fast path on (issue 11 item 3): the
 *   bytes over a raw Unix socket beside the session socket, the gRPC call carrying only the ends.
 *   The session stream above runs with `JMP_DISABLE_FAST_PATH=1` so it stays on gRPC frames.
 * - **direct mode (TLS)**: the same session behind our TLS front, reached over TCP+TLS on
 *   localhost, next to a raw TLS socket through an identical front (`_tls_targets.ts`).
 *
 * Each run moves `--mib` MiB (default 1024) in 64 KiB chunks; runs alternate between targets
 * for `--rounds` rounds and the median of each is reported (the machine is noisy), with the
 * ratios session/bare (our windows), session/raw and fast path/raw. The targets (session at least
 * 0.9x bare grpc-js on the same windows; fast path at least 0.5x the raw socket) are reported,
 * never enforced.
 *
 * Usage: `deno run -A bench/stream_throughput.ts [--mib N] [--rounds N] [--only a,b] [--json]`
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  byteStream,
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { channelWindowOptions, createServer, HTTP2_WINDOW_BYTES } from "@jumpstarter/protos";
import { latencySummary, positiveInt } from "./_measure.ts";
import { localhostIdentity, rawOverTls, sessionOverTls } from "./_tls_targets.ts";

const CHUNK = 64 * 1024;
const TARGET_RATIO = 0.9;
const FAST_PATH_TARGET_RATIO = 0.5;

const sinkInterface = defineInterface({
  client: "bench.SinkClient",
  methods: { connect: byteStream() },
});

/** Counts and discards every byte it is sent; answers nothing. */
class Sink extends Driver {
  readonly interface = sinkInterface;
  received = 0;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(sinkInterface, {
      connect: () => {
        const readable = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
        const writable = new WritableStream<Uint8Array>({
          write: (chunk) => void (this.received += chunk.byteLength),
        });
        return { readable, writable };
      },
    });
  }
}

type Runner = (bytes: number) => Promise<void>;

function rawSocket(dir: string): { run: Runner; close(): Promise<void> } {
  const path = `${dir}/raw.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const accepting = (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const _ of conn.readable) { /* discard */ }
      })().catch(() => {});
    }
  })().catch(() => {});
  const chunk = new Uint8Array(CHUNK);
  return {
    run: async (bytes) => {
      const conn = await Deno.connect({ transport: "unix", path });
      const writer = conn.writable.getWriter();
      for (let sent = 0; sent < bytes; sent += CHUNK) await writer.write(chunk);
      await writer.close();
    },
    close: async () => {
      listener.close();
      await accepting;
    },
  };
}

async function bareGrpc(
  dir: string,
  windowBytes: number | undefined,
): Promise<{ run: Runner; close(): Promise<void> }> {
  const path = `${dir}/grpc-${windowBytes ?? "default"}.sock`;
  const identity = (b: Buffer) => b;
  const definition = {
    sink: {
      path: "/bench.Sink/Sink",
      requestStream: true,
      responseStream: true,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
  const server = windowBytes ? createServer({}, windowBytes) : new grpc.Server();
  server.addService(definition, {
    sink: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on("data", () => {});
      call.on("end", () => call.end());
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(
      `unix:${path}`,
      grpc.ServerCredentials.createInsecure(),
      (error) => error ? reject(error) : resolve(),
    )
  );
  const client = new grpc.Client(
    `unix:${path}`,
    grpc.credentials.createInsecure(),
    windowBytes ? channelWindowOptions(windowBytes) : {},
  );
  const chunk = Buffer.alloc(CHUNK);
  return {
    run: async (bytes) => {
      const call = client.makeBidiStreamRequest(
        "/bench.Sink/Sink",
        identity,
        identity,
        new grpc.Metadata(),
      );
      const ended = new Promise<void>((resolve, reject) => {
        call.on("data", () => {});
        call.on("end", resolve);
        call.on("error", reject);
      });
      for (let sent = 0; sent < bytes; sent += CHUNK) {
        if (!call.write(chunk)) await new Promise((resolve) => call.once("drain", resolve));
      }
      call.end();
      await ended;
    },
    close: async () => {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** `DriverClient.stream()` through a real Session, on gRPC frames or over the fast path. */
async function sessionStream(
  fastPath: boolean,
): Promise<{ run: Runner; close(): Promise<void> }> {
  const sink = new Sink();
  const served = await serve(sink);
  const chunk = new Uint8Array(CHUNK);
  return {
    run: async (bytes) => {
      // the client reads the switch when it opens a stream
      if (fastPath) Deno.env.delete("JMP_DISABLE_FAST_PATH");
      else Deno.env.set("JMP_DISABLE_FAST_PATH", "1");
      const stream = await served.client.stream("connect");
      Deno.env.delete("JMP_DISABLE_FAST_PATH");
      const draining = stream.readable.pipeTo(new WritableStream());
      const writer = stream.writable.getWriter();
      for (let sent = 0; sent < bytes; sent += CHUNK) await writer.write(chunk);
      await writer.close();
      await draining;
    },
    close: () => served.close(),
  };
}

/** Throughput, and CPU seconds (this process: both ends) per GiB, which load elsewhere skews less. */
async function measure(run: Runner, bytes: number): Promise<{ rate: number; cpu: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await run(bytes);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const gib = bytes / (1024 * 1024 * 1024);
  return { rate: bytes / (1024 * 1024) / seconds, cpu: (cpu.user + cpu.system) / 1e6 / gib };
}

const TARGETS = [
  ["raw", "raw unix socket"],
  ["bareDefault", "bare grpc-js, 64 KiB windows"],
  ["bare1m", "bare grpc-js, 1 MiB windows"],
  ["bare4m", "bare grpc-js, 4 MiB windows"],
  ["bare", "bare grpc-js, our windows"],
  ["bare16m", "bare grpc-js, 16 MiB windows"],
  ["session", "session stream (gRPC)"],
  ["fastPath", "session stream, fast path"],
  ["rawTls", "raw TLS socket (direct)"],
  ["sessionTls", "session stream, TLS (direct)"],
] as const;

type TargetName = typeof TARGETS[number][0];

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mib: { type: "string", default: "1024" },
      rounds: { type: "string", default: "3" },
      json: { type: "boolean", default: false },
      only: { type: "string" },
    },
  });
  const mib = positiveInt("mib", values.mib, 1024);
  const rounds = positiveInt("rounds", values.rounds, 3);
  const bytes = mib * 1024 * 1024;
  // --only raw,session: measure just those (for profiling one path)
  const only = values.only?.split(",");
  const dir = await Deno.makeTempDir({ prefix: "jmp-bench-" });
  const identity = await localhostIdentity();
  const targets: Record<TargetName, { run: Runner; close(): Promise<void> }> = {
    raw: rawSocket(dir),
    bareDefault: await bareGrpc(dir, undefined),
    bare1m: await bareGrpc(dir, 1024 * 1024),
    bare4m: await bareGrpc(dir, 4 * 1024 * 1024),
    bare: await bareGrpc(dir, HTTP2_WINDOW_BYTES),
    bare16m: await bareGrpc(dir, 16 * 1024 * 1024),
    session: await sessionStream(false),
    fastPath: await sessionStream(true),
    rawTls: await rawOverTls(dir, identity, CHUNK),
    sessionTls: await sessionOverTls(new Sink(), identity, CHUNK),
  };
  const samples = Object.fromEntries(TARGETS.map(([name]) => [name, [] as number[]])) as Record<
    TargetName,
    number[]
  >;
  const cpuSamples = Object.fromEntries(
    TARGETS.map(([name]) => [name, [] as number[]]),
  ) as Record<TargetName, number[]>;
  try {
    for (const target of Object.values(targets)) await target.run(16 * 1024 * 1024);
    for (let round = 0; round < rounds; round++) {
      for (const [name] of TARGETS) {
        if (only && !only.includes(name)) continue;
        const { rate, cpu } = await measure(targets[name].run, bytes);
        samples[name].push(rate);
        cpuSamples[name].push(cpu);
      }
    }
  } finally {
    for (const target of Object.values(targets)) await target.close();
    await Deno.remove(dir, { recursive: true });
  }
  const cpuMedian = Object.fromEntries(
    TARGETS.map((
      [name],
    ) => [name, cpuSamples[name].length ? latencySummary(cpuSamples[name]).p50 : NaN]),
  ) as Record<TargetName, number>;
  const median = Object.fromEntries(
    TARGETS.map(([name]) => [name, samples[name].length ? latencySummary(samples[name]).p50 : NaN]),
  ) as Record<TargetName, number>;
  const report = {
    mib,
    rounds,
    medianMibPerSecond: median,
    medianCpuSecondsPerGib: cpuMedian,
    ratio: {
      sessionOverBare: median.session / median.bare,
      sessionOverRaw: median.session / median.raw,
      fastPathOverRaw: median.fastPath / median.raw,
      fastPathOverSession: median.fastPath / median.session,
      tlsSessionOverRawTls: median.sessionTls / median.rawTls,
      windowsGain: median.bare / median.bareDefault,
    },
    target: { minRatio: TARGET_RATIO, met: median.session / median.bare >= TARGET_RATIO },
    fastPathTarget: {
      minRatioOverRaw: FAST_PATH_TARGET_RATIO,
      met: median.fastPath / median.raw >= FAST_PATH_TARGET_RATIO,
    },
  };
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`Byte stream client -> exporter, ${mib} MiB per run, median of ${rounds}`);
  for (const [name, label] of TARGETS) {
    if (!Number.isNaN(median[name])) {
      console.log(
        `  ${label.padEnd(30)} ${median[name].toFixed(0).padStart(6)} MiB/s  ${
          cpuMedian[name].toFixed(2).padStart(6)
        } CPU s/GiB`,
      );
    }
  }
  console.log(
    `  session / bare grpc-js: ${report.ratio.sessionOverBare.toFixed(2)}x, session / raw: ${
      report.ratio.sessionOverRaw.toFixed(2)
    }x, windows gain on bare grpc-js: ${report.ratio.windowsGain.toFixed(2)}x`,
  );
  console.log(
    `  CPU per GiB, session / bare grpc-js: ${
      (cpuMedian.session / cpuMedian.bare).toFixed(2)
    }x (lower is leaner; both ends run in this process)`,
  );
  console.log(
    `  fast path / raw: ${report.ratio.fastPathOverRaw.toFixed(2)}x, fast path / session (gRPC): ${
      report.ratio.fastPathOverSession.toFixed(2)
    }x; target: at least ${FAST_PATH_TARGET_RATIO}x the raw socket -- ${
      report.fastPathTarget.met ? "met" : "NOT met"
    }`,
  );
  console.log(
    `  direct (TLS): session / raw TLS socket: ${report.ratio.tlsSessionOverRawTls.toFixed(2)}x`,
  );
  console.log(
    `  target: at least ${TARGET_RATIO}x the bare grpc-js stream -- ${
      report.target.met ? "met" : "NOT met"
    }`,
  );
}

if (import.meta.main) await main();
