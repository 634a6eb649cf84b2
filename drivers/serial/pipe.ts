/**
 * `j <name> pipe`: upstream's serial pipe. Device output goes to stdout or a file; stdin (when
 * piped, or forced with `--input`) goes to the device, and after stdin ends the output keeps
 * flowing until interrupted or the exporter ends the stream.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";

/** The flags of `pipe`, as upstream's click options. */
export interface PipeFlags {
  output?: string;
  input?: boolean;
  noInput?: boolean;
  append?: boolean;
  noOutput?: boolean;
}

/** What `pipe` does once its flags are checked. */
export interface PipePlan {
  inputEnabled: boolean;
  output?: string;
  append: boolean;
  noOutput: boolean;
  /** Upstream's status line on stderr. */
  status: string;
}

/** Where a pipe reads, writes and reports; the CLI passes the process's own. */
export interface PipeIo {
  stdin: ReadableStream<Uint8Array>;
  stdout: WritableStream<Uint8Array>;
  printError: (line: string) => void;
  /** Ends the pipe (SIGINT/SIGTERM in the CLI). */
  signal: AbortSignal;
}

/** Exit code after Ctrl+C, as `j`'s (upstream's `j` means to exit 2 too). */
const INTERRUPTED_EXIT_CODE = 2;

/** How long `--no-output` lets the last input reach the exporter before leaving. */
const NO_OUTPUT_DRAIN_MS = 500;

/**
 * Checks the flag combinations upstream refuses and picks the mode.
 *
 * @throws {Error} naming the conflicting flags.
 */
export function planPipe(flags: PipeFlags, stdinIsTerminal: boolean): PipePlan {
  if (flags.input && flags.noInput) throw new Error("Cannot use both --input and --no-input");
  if (flags.noOutput && flags.output) throw new Error("Cannot use both --no-output and --output");
  if (flags.noOutput && flags.append) throw new Error("Cannot use both --no-output and --append");
  if (flags.append && !flags.output) throw new Error("--append requires --output");
  const piped = !stdinIsTerminal;
  const inputEnabled = flags.noInput ? false : flags.input ? true : piped;
  if (flags.noOutput && !inputEnabled) {
    throw new Error("--no-output requires stdin input (pipe stdin or use --input)");
  }
  const mode = inputEnabled && piped && !flags.input
    ? "auto-detected piped stdin"
    : inputEnabled && flags.input
    ? "forced input mode"
    : "read-only";
  let status: string;
  if (flags.noOutput) {
    status = `Fire-and-forget mode (${mode}): stdin→serial, no output (exits at EOF)`;
  } else if (!flags.output) {
    status = inputEnabled
      ? `Bidirectional mode (${mode}): stdin→serial, serial→stdout (Ctrl+C to exit)`
      : `Reading from serial port (${mode})... (Ctrl+C to exit)`;
  } else {
    status = inputEnabled
      ? `Bidirectional mode (${mode}) with logging to ${flags.output}... (Ctrl+C to exit)`
      : `Logging serial output to ${flags.output} (${mode})... (Ctrl+C to exit)`;
  }
  return {
    inputEnabled,
    ...(flags.output === undefined ? {} : { output: flags.output }),
    append: flags.append ?? false,
    noOutput: flags.noOutput ?? false,
    status,
  };
}

/** Copies stdin to the port, then ends the port's input (its output keeps flowing). */
async function forwardInput(stdin: ReadableStream<Uint8Array>, stream: ByteStream) {
  await stdin.pipeTo(stream.writable, { preventCancel: true });
}

function aborted(signal: AbortSignal): Promise<"interrupted"> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve("interrupted");
    signal.addEventListener("abort", () => resolve("interrupted"), { once: true });
  });
}

/**
 * Where the output goes: stdout, or the `--output` file, each chunk written through at once
 * (so the file can be followed while the pipe runs).
 */
async function openSink(plan: PipePlan, stdout: WritableStream<Uint8Array>) {
  if (plan.output === undefined) return { writable: stdout, close: false };
  const file = await Deno.open(plan.output, {
    write: true,
    create: true,
    append: plan.append,
    truncate: !plan.append,
  });
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      for (let offset = 0; offset < chunk.byteLength;) {
        offset += await file.write(chunk.subarray(offset));
      }
    },
    close: () => file.close(),
    abort: () => file.close(),
  });
  return { writable, close: true };
}

/**
 * Runs the pipe on `stream` until interrupted, the exporter ends the stream, or (with
 * `--no-output`) stdin ends. Returns the exit code.
 */
export async function runPipe(stream: ByteStream, plan: PipePlan, io: PipeIo): Promise<number> {
  io.printError(plan.status);
  const interrupted = aborted(io.signal);
  if (plan.noOutput) {
    const sent = await Promise.race([
      forwardInput(io.stdin, stream).then(() => "sent"),
      interrupted,
    ]);
    // the exporter gets the tail of the input before it sees the stream go away
    const drain = new AbortController();
    const drained = stream.readable.pipeTo(new WritableStream(), { signal: drain.signal })
      .catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([drained, new Promise((r) => timer = setTimeout(r, NO_OUTPUT_DRAIN_MS))]);
    clearTimeout(timer);
    // aborting the pipe cancels the reading side, which cancels the call
    drain.abort();
    await drained;
    if (sent !== "interrupted") return 0;
    io.printError("\nStopped.");
    return INTERRUPTED_EXIT_CODE;
  }
  const sink = await openSink(plan, io.stdout);
  const stop = new AbortController();
  if (plan.inputEnabled) forwardInput(io.stdin, stream).catch(() => {});
  const output = stream.readable
    .pipeTo(sink.writable, { preventClose: !sink.close, signal: stop.signal })
    .then(() => "ended" as const, (error: unknown) => ({ error }));
  const end = await Promise.race([output, interrupted]);
  stop.abort();
  await output;
  // cancelling the reading side cancels the whole call (stdin's pipe may still hold the input)
  await stream.readable.cancel().catch(() => {});
  if (end === "interrupted") {
    io.printError("\nStopped.");
    return INTERRUPTED_EXIT_CODE;
  }
  if (end === "ended") {
    io.printError("\nSerial connection closed normally (end of stream).");
    return 0;
  }
  const reason = end.error instanceof Error ? end.error.message : String(end.error);
  io.printError(`\nSerial connection lost: ${reason}`);
  return 1;
}
