/**
 * `j <name> start-console`, `j <name> pipe [flags]` and `j <name> log [--follow] [--path]`: the
 * command-line interface of a serial port.
 */
import { Command } from "commander";
import { type ExitCodeSink, secondsArg, withExitCode } from "@jumpstarter/lib/client";
import type { ProgressReporter } from "@jumpstarter/lib/streams";
import type { PySerialClient } from "./client.ts";
import { type ConsoleEnd, runConsole } from "./console.ts";
import { type PipeFlags, planPipe, runPipe } from "./pipe.ts";

/** The terminal and signals the commands use; tests replace them. */
export interface SerialCliIo {
  stdin?: ReadableStream<Uint8Array>;
  stdout?: WritableStream<Uint8Array>;
  /** Whether stdin is a terminal (then `start-console` is interactive). */
  isTerminal?: boolean;
  setRaw?: (raw: boolean) => void;
  /** Where notices go (default: stderr). */
  printError?: (line: string) => void;
  /** Ends `start-console` and `log --follow` (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
  /** Records a non-zero exit code (default: sets `Deno.exitCode`, which `j` exits with). */
  setExitCode?: ExitCodeSink;
}

/** Exit code after SIGINT/SIGTERM, as `j`'s. */
export const INTERRUPTED_EXIT_CODE = 2;

/** An AbortSignal that fires on SIGINT/SIGTERM until disposed. */
function signalSource(): AbortSignal & Disposable {
  const controller = new AbortController();
  const names = ["SIGINT", "SIGTERM"] as const;
  const stop = () => controller.abort();
  for (const name of names) Deno.addSignalListener(name, stop);
  return Object.assign(controller.signal, {
    [Symbol.dispose]: () => {
      for (const name of names) Deno.removeSignalListener(name, stop);
    },
  });
}

async function writeText(stdout: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = stdout.getWriter();
  try {
    await writer.write(new TextEncoder().encode(text));
  } finally {
    writer.releaseLock();
  }
}

/** Upstream's flags from commander's options and the flags seen on the command line. */
function pipeFlags(
  options: { output?: string | false; input?: boolean; append?: boolean },
  seen: Set<string>,
): PipeFlags {
  const flags: PipeFlags = {};
  if (typeof options.output === "string") flags.output = options.output;
  if (seen.has("no-output")) flags.noOutput = true;
  if (seen.has("input")) flags.input = true;
  if (seen.has("no-input")) flags.noInput = true;
  if (options.append) flags.append = true;
  return flags;
}

/** Builds the serial command group for `client`, named `name`. */
export function pyserialCli(
  client: PySerialClient,
  name: string,
  _context?: { progress: ProgressReporter },
  io: SerialCliIo = {},
): Command {
  const stdout = () => io.stdout ?? Deno.stdout.writable;
  const printError = io.printError ?? ((line: string) => console.error(line));
  const exiting = <A extends unknown[]>(action: (...args: A) => Promise<number | void>) =>
    withExitCode(action, io.setExitCode);
  const withSignal = async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    if (io.signal) return await run(io.signal);
    using signal = signalSource();
    return await run(signal);
  };
  const command = new Command(name).description(client.description ?? "Serial port");
  command.command("start-console")
    .description("Start serial port console (exit with Ctrl-B three times)")
    .option(
      "--linger <seconds>",
      "without a terminal: keep printing output this long after stdin ended",
      secondsArg("--linger"),
      0.5,
    )
    .action(exiting(async (options: { linger: number }) => {
      const terminal = io.isTerminal ?? Deno.stdin.isTerminal();
      const stream = await client.connect();
      if (terminal) {
        await writeText(stdout(), "Starting serial port console ... exit with CTRL+B x 3 times\n");
      }
      let end: ConsoleEnd;
      try {
        end = await withSignal((signal) =>
          runConsole(stream, {
            input: io.stdin ?? Deno.stdin.readable,
            output: stdout(),
            signal,
            lingerMs: options.linger * 1000,
            ...(terminal
              ? { setRaw: io.setRaw ?? ((raw: boolean) => Deno.stdin.setRaw(raw)) }
              : {}),
          })
        );
      } finally {
        // leave the terminal in a sane state whatever the device left it in
        if (terminal) await writeText(stdout(), "\x1b[0m\r\n").catch(() => {});
      }
      if (end === "remote-closed") {
        printError("The serial port connection was closed by the exporter");
      }
      return end === "interrupted" ? INTERRUPTED_EXIT_CODE : 0;
    }));
  // commander folds --input/--no-input (and --output/--no-output) into one value, last one
  // wins; upstream refuses both together, so the flags seen are recorded as they are parsed
  const seen = new Set<string>();
  const pipe = command.command("pipe");
  for (const flag of ["input", "no-input", "output", "no-output"]) {
    pipe.on(`option:${flag}`, () => seen.add(flag));
  }
  pipe
    .description(
      "Pipe serial port data to stdout or a file; piped stdin goes to the port, and output " +
        "keeps flowing after it ends (Ctrl+C to exit)",
    )
    .option("-o, --output <path>", "write serial output to this file instead of stdout")
    .option("-i, --input", "send stdin to the port even when it is a terminal")
    .option("--no-input", "do not send stdin to the port, even when it is piped")
    .option("-a, --append", "append to the --output file instead of overwriting it")
    .option("--no-output", "only send stdin to the port, and exit when it ends")
    .action(
      exiting(async (options: { output?: string | false; input?: boolean; append?: boolean }) => {
        const flags = pipeFlags(options, seen);
        seen.clear();
        const plan = planPipe(flags, io.isTerminal ?? Deno.stdin.isTerminal());
        const stream = await client.connect();
        return await withSignal((signal) =>
          runPipe(stream, plan, {
            stdin: io.stdin ?? Deno.stdin.readable,
            stdout: stdout(),
            printError,
            signal,
          })
        );
      }),
    );
  command.command("log")
    .description("Print the console output of this session (kept on the exporter)")
    .option("-f, --follow", "keep printing new output until interrupted")
    .option("--path", "print the log file's path on the exporter instead")
    .action(exiting(async (options: { follow?: boolean; path?: boolean }) => {
      if (options.path) {
        await writeText(stdout(), `${await client.logPath()}\n`);
        return 0;
      }
      const follow = options.follow ?? false;
      return await withSignal(async (signal) => {
        const chunks = client.readLog({ follow });
        const stopped = new Promise<"stopped">((resolve) => {
          if (signal.aborted) resolve("stopped");
          signal.addEventListener("abort", () => resolve("stopped"), { once: true });
        });
        for (;;) {
          const next = await Promise.race([chunks.next(), stopped]);
          if (next === "stopped") {
            chunks.return(undefined).catch(() => {});
            return INTERRUPTED_EXIT_CODE;
          }
          if (next.done) return 0;
          await writeText(stdout(), next.value);
        }
      });
    }));
  return command;
}
