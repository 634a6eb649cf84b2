/**
 * Console round-trip latency: one byte written by a client to a serial console and echoed back,
 * p50/p99 over `--rounds` round trips, next to the same echo measured straight on the pty in the
 * same run (the floor: socat + the kernel pty).
 *
 * The device is a pty made by `socat pty,link=<dir>/tty EXEC:cat`: whatever reaches it is echoed
 * by `cat`. The client path is the real one: `PySerial` driver served in a session,
 * `DriverClient.stream("connect")`, frames over gRPC on a Unix socket.
 *
 * Usage: `deno run -A bench/console_rtt.ts [--rounds N] [--json]` (needs socat).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { serve } from "@jumpstarter/lib/testing";
import { PySerial } from "@jumpstarter/driver-serial/driver";
import { latencySummary, positiveInt } from "./_measure.ts";

interface Stats {
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

function stats(samplesMs: number[]): Stats {
  const { p50, p99, mean } = latencySummary(samplesMs);
  return { p50Us: p50 * 1000, p99Us: p99 * 1000, meanUs: mean * 1000 };
}

async function startEcho(dir: string): Promise<{ tty: string; stop(): Promise<void> }> {
  const tty = `${dir}/tty`;
  const child = new Deno.Command("socat", {
    args: [`pty,raw,echo=0,link=${tty}`, "EXEC:cat"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      await Deno.stat(tty);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  // socat applies `raw` after creating the link; make sure the line discipline is raw first
  await new Deno.Command("stty", { args: ["-F", tty, "raw", "-echo"] }).output();
  return {
    tty,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** A byte pipe: write some bytes, read whatever arrives next. */
interface Pipe {
  write(bytes: Uint8Array): Promise<unknown>;
  read(): Promise<number>;
}

/** Over web streams (the session's console stream). */
function streamPipe(
  stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
): Pipe {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  return {
    write: (bytes) => writer.write(bytes),
    read: async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error("the console closed during the benchmark");
      return value.byteLength;
    },
  };
}

/** Straight on the tty (Deno's web streams on a tty do not return partial reads). */
function filePipe(file: Deno.FsFile): Pipe {
  const buffer = new Uint8Array(64);
  return {
    write: (bytes) => file.write(bytes),
    read: async () => {
      const n = await file.read(buffer);
      if (n === null) throw new Error("the pty closed during the benchmark");
      return n;
    },
  };
}

/** Writes one byte and waits for it to come back, `rounds` times. */
async function measure(pipe: Pipe, rounds: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await pipe.write(new Uint8Array([0x41 + (i % 26)]));
    let got = 0;
    while (got < 1) got += await pipe.read();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "2000" },
      json: { type: "boolean", default: false },
    },
  });
  const rounds = positiveInt("rounds", values.rounds, 2000);
  const dir = await Deno.makeTempDir({ prefix: "jmp-console-bench-" });
  const echo = await startEcho(dir);
  try {
    // baseline: the pty itself
    const direct = await Deno.open(echo.tty, { read: true, write: true });
    const directPipe = filePipe(direct);
    await measure(directPipe, 100);
    const baseline = stats(await measure(directPipe, rounds));
    direct.close();
    // the console through a session
    const driver = new PySerial({ url: echo.tty, logDir: dir });
    await using served = await serve(driver);
    await using stream = await served.client.stream("connect");
    const sessionPipe = streamPipe(stream);
    await measure(sessionPipe, 100);
    const session = stats(await measure(sessionPipe, rounds));
    const report = { rounds, baseline, session, ratioP50: session.p50Us / baseline.p50Us };
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`Console round trip (1 byte to a pty echo and back), ${rounds} rounds`);
    console.log("                    p50 (us)   p99 (us)  mean (us)");
    for (const [label, s] of [["pty directly", baseline], ["through session", session]] as const) {
      console.log(
        `  ${label.padEnd(16)} ${s.p50Us.toFixed(0).padStart(9)} ${
          s.p99Us.toFixed(0).padStart(10)
        } ${s.meanUs.toFixed(0).padStart(10)}`,
      );
    }
    console.log(`  session / direct p50: ${report.ratioP50.toFixed(2)}x`);
  } finally {
    await echo.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
