/**
 * The fast path (issue 11 item 3) in each mode, our client to our exporter in one process: bytes
 * to a sink driver with the fast path and with `JMP_DISABLE_FAST_PATH=1` (gRPC frames), next to a
 * raw socket copy of the same transport measured in the same run:
 *
 * - **local**: the session's Unix socket; raw: a Unix socket.
 * - **direct (TLS)**: our TLS front and the fast path's own TLS port; raw: node:tls to a Deno TLS
 *   listener on localhost (the fast path's own stack).
 * - **router (TLS)**: an in-process controller and router, our exporter, a lease socket; the fast
 *   path goes client -> lease socket relay -> router splice -> exporter; raw: the same TLS copy.
 *
 * Every run sends `--mib` MiB in `--chunk-kib` KiB chunks (64) and waits until the driver has read them all;
 * targets are alternated for `--rounds` rounds and medians printed with ratios.
 *
 * Usage: `deno run -A bench/fast_path_modes.ts [--mib 256] [--rounds 3] [--only local,router]
 *   [--chunk-kib 64]`
 *
 * @module
 */
import { once } from "node:events";
import tls from "node:tls";
import { parseArgs } from "node:util";
import { z } from "zod";
import {
  byteStream,
  compositeType,
  defineDriverType,
  defineInterface,
  Driver,
  DriverRegistry,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import {
  clientRegistryOf,
  connectController,
  createLease,
  type DriverClient,
  openExporter,
  openLeaseSocket,
  UNSAFE_POLICY,
  waitForLease,
} from "@jumpstarter/lib/client";
import { Exporter, privateSocketPath, serveSession, Session } from "@jumpstarter/lib/exporter";
import { serveTlsFront } from "@jumpstarter/lib/tunnel";
import { startLab } from "../controller/test_lab.ts";
import { localhostIdentity } from "./_tls_targets.ts";
import { latencySummary, positiveInt } from "./_measure.ts";

let CHUNK = 64 * 1024;

const sinkInterface = defineInterface({
  client: "bench.SinkClient",
  methods: { connect: byteStream() },
});

/** Discards what it is sent; its readable ends once its writable did (the client sees it). */
class Sink extends Driver {
  readonly interface = sinkInterface;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(sinkInterface, {
      connect: () => {
        let done: ReadableStreamDefaultController<Uint8Array> | undefined;
        const readable = new ReadableStream<Uint8Array>({ start: (c) => void (done = c) });
        const writable = new WritableStream<Uint8Array>({ close: () => done?.close() });
        return { readable, writable };
      },
    });
  }
}

interface Target {
  run(bytes: number): Promise<void>;
  close(): Promise<void>;
}

/** One stream of `bytes` to the sink, on the fast path or not; resolves once all were read. */
async function push(client: DriverClient, bytes: number, fastPath: boolean): Promise<void> {
  if (fastPath) Deno.env.delete("JMP_DISABLE_FAST_PATH");
  else Deno.env.set("JMP_DISABLE_FAST_PATH", "1");
  const stream = await client.stream("connect");
  Deno.env.delete("JMP_DISABLE_FAST_PATH");
  const drained = stream.readable.pipeTo(new WritableStream());
  const writer = stream.writable.getWriter();
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < bytes; sent += CHUNK) await writer.write(chunk);
  await writer.close();
  await drained;
}

function targetsOf(client: DriverClient, close: () => Promise<void>): [Target, Target] {
  let closed: Promise<void> | undefined;
  const once = () => closed ??= close();
  return [
    { run: (bytes) => push(client, bytes, true), close: once },
    { run: (bytes) => push(client, bytes, false), close: once },
  ];
}

async function local(): Promise<[Target, Target]> {
  const session = new Session(new Sink());
  await session.open();
  const { path, dir } = await privateSocketPath();
  const server = await serveSession(session, path);
  const handle = await openExporter(path, {
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
  });
  return targetsOf(handle.root, async () => {
    handle.close();
    await server.close();
    await session.close();
    await Deno.remove(dir, { recursive: true });
  });
}

async function directTls(identity: { cert: string; key: string }): Promise<[Target, Target]> {
  const session = new Session(new Sink());
  await session.open();
  const { path, dir } = await privateSocketPath();
  const fastPathTls = { hostname: "127.0.0.1", ...identity };
  const server = await serveSession(session, path, { fastPathTls });
  const front = await serveTlsFront({ hostname: "127.0.0.1", port: 0, ...identity, target: path });
  const handle = await openExporter(`localhost:${front.port}`, {
    ca: identity.cert,
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
  });
  return targetsOf(handle.root, async () => {
    handle.close();
    await front.close();
    await server.close();
    await session.close();
    await Deno.remove(dir, { recursive: true });
  });
}

async function router(): Promise<[Target, Target]> {
  const lab = await startLab();
  const registry = new DriverRegistry().register(
    compositeType,
    defineDriverType({
      name: "Sink",
      aliases: [],
      config: z.object({}).strict(),
      create: (_config, options) => new Sink(options),
    }),
  );
  const identity = await lab.client("bench", "client");
  const config = await lab.exporter("bench", "sink", { board: "sink" }, {
    export: { sink: { type: "Sink" } },
  });
  const abort = new AbortController();
  const running = new Exporter(config, { registry }).run(abort.signal).catch(() => {});
  const connection = await connectController(identity);
  const lease = await createLease(connection, { selector: "board=sink", durationMs: 3_600_000 });
  const name = lease.name.split("/").pop()!;
  await waitForLease(connection, name, { pollMs: 100, timeoutMs: 30_000 });
  const dir = await Deno.makeTempDir({ prefix: "jmp-bench-router-" });
  const socket = openLeaseSocket(connection, name, { path: `${dir}/lease.sock` });
  const handle = await openExporter(socket.path, {
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([]),
  });
  return targetsOf(handle.root.children.get("sink")!, async () => {
    handle.close();
    await socket.close();
    connection.close();
    abort.abort();
    await running;
    await lab[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  });
}

function discard(conn: Deno.Conn): void {
  (async () => {
    const buffer = new Uint8Array(256 * 1024);
    while (await conn.read(buffer) !== null) { /* discard */ }
    conn.close();
  })().catch(() => {});
}

function rawUnix(dir: string): Target {
  const listener = Deno.listen({ transport: "unix", path: `${dir}/raw.sock` });
  (async () => {
    for await (const conn of listener) discard(conn);
  })().catch(() => {});
  const chunk = new Uint8Array(CHUNK);
  return {
    run: async (bytes) => {
      const conn = await Deno.connect({ transport: "unix", path: `${dir}/raw.sock` });
      for (let sent = 0; sent < bytes; sent += CHUNK) {
        for (let o = 0; o < CHUNK;) o += await conn.write(chunk.subarray(o));
      }
      conn.close();
    },
    close: () => Promise.resolve(listener.close()),
  };
}

/** node:tls client to a Deno TLS listener, as the fast path's TLS legs are. */
function rawTls(identity: { cert: string; key: string }): Target {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...identity });
  (async () => {
    for await (const conn of listener) discard(conn);
  })().catch(() => {});
  const chunk = new Uint8Array(CHUNK);
  return {
    run: async (bytes) => {
      const socket = tls.connect({
        host: "localhost",
        port: listener.addr.port,
        ca: identity.cert,
      });
      await once(socket, "secureConnect");
      for (let sent = 0; sent < bytes; sent += CHUNK) {
        if (!socket.write(chunk)) await once(socket, "drain");
      }
      await new Promise<void>((resolve) => socket.end(resolve));
      socket.destroy();
    },
    close: () => Promise.resolve(listener.close()),
  };
}

const MODES = ["local", "direct", "router"] as const;

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mib: { type: "string", default: "256" },
      rounds: { type: "string", default: "3" },
      only: { type: "string" },
      "chunk-kib": { type: "string", default: "64" },
    },
  });
  CHUNK = positiveInt("chunk-kib", values["chunk-kib"], 64) * 1024;
  const mib = positiveInt("mib", values.mib, 256);
  const rounds = positiveInt("rounds", values.rounds, 3);
  const modes = MODES.filter((mode) => !values.only || values.only.split(",").includes(mode));
  const bytes = mib * 1024 * 1024;
  const dir = await Deno.makeTempDir({ prefix: "jmp-bench-modes-" });
  const identity = await localhostIdentity();
  const raw = { unix: rawUnix(dir), tls: rawTls(identity) };
  const targets: Record<string, [Target, Target]> = {};
  for (const mode of modes) {
    targets[mode] = mode === "local"
      ? await local()
      : mode === "direct"
      ? await directTls(identity)
      : await router();
  }
  const all: Record<string, Target> = { rawUnix: raw.unix, rawTls: raw.tls };
  for (const mode of modes) {
    all[`${mode}Fast`] = targets[mode]![0];
    all[`${mode}Grpc`] = targets[mode]![1];
  }
  const samples: Record<string, number[]> = {};
  try {
    for (const target of Object.values(all)) await target.run(8 * 1024 * 1024);
    for (let round = 0; round < rounds; round++) {
      for (const [name, target] of Object.entries(all)) {
        const started = performance.now();
        await target.run(bytes);
        (samples[name] ??= []).push(mib / ((performance.now() - started) / 1000));
      }
    }
  } finally {
    for (const target of new Set(Object.values(all))) await target.close();
    await Deno.remove(dir, { recursive: true });
  }
  const median = (name: string) => latencySummary(samples[name]!).p50;
  console.log(`Bytes to a sink driver, ${mib} MiB per run, median of ${rounds} (MiB/s)`);
  console.log(
    `  raw unix socket ${median("rawUnix").toFixed(0)}, raw TLS socket ${
      median("rawTls").toFixed(0)
    }`,
  );
  for (const mode of modes) {
    const rawName = mode === "local" ? "rawUnix" : "rawTls";
    const fast = median(`${mode}Fast`);
    const grpc = median(`${mode}Grpc`);
    console.log(
      `  ${mode.padEnd(7)} fast path ${fast.toFixed(0).padStart(5)}  gRPC ${
        grpc.toFixed(0).padStart(5)
      }  fast/gRPC ${(fast / grpc).toFixed(2)}x  fast/raw ${(fast / median(rawName)).toFixed(2)}x`,
    );
  }
}

if (import.meta.main) await main();
