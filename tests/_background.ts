/**
 * Programs the end-to-end tests keep running in the background (`jmp run`, `jmp shell` holding a
 * session): their first line, what they printed, and stopping them with everything they started.
 */
import { deadlineSignal, waitingFor } from "@jumpstarter/lib/testing";
import {
  collect,
  DEFAULT_TIMEOUT_MS,
  exitedResult,
  jmpArgs,
  killGroup,
  type RunOptions,
  type RunResult,
  spawnGroup,
} from "./_process.ts";

/** A `jmp` process running in the background, e.g. `jmp run`. */
export interface BackgroundJmp extends AsyncDisposable {
  readonly process: Deno.ChildProcess;
  /** Resolves with the first line printed on stdout (rejects if stdout ends before one). */
  readonly firstLine: Promise<string>;
  /** What it printed so far. */
  printed(): { stdout: string; stderr: string };
  /** Resolves once its stdout shows `text` (rejects if stdout ends before it does). */
  shows(text: string): Promise<void>;
  /** Waits for the process to end by itself (killing it after the timeout). */
  wait(timeoutMs?: number): Promise<RunResult>;
  /** Sends `signal`, then {@linkcode BackgroundJmp.wait}s. */
  stop(signal: Deno.Signal, timeoutMs?: number): Promise<RunResult>;
}

/** Starts `jmp ARGS...` with piped output; disposing it kills the process if still running. */
export function spawnJmp(args: string[], options: RunOptions = {}): BackgroundJmp {
  return spawnProgram(Deno.execPath(), jmpArgs(args), options);
}

/** Starts `program ARGS...` in the background, as {@linkcode spawnJmp} does for `jmp`. */
export function spawnProgram(
  program: string,
  args: string[],
  options: RunOptions = {},
): BackgroundJmp {
  const process = spawnGroup(program, args, options);
  const command = `${program} ${args.join(" ")}`;
  const {
    promise: firstLine,
    resolve: resolveLine,
    reject: rejectLine,
  } = Promise.withResolvers<string>();
  firstLine.catch(() => {}); // for callers that never ask
  const awaited = new Map<string, () => void>();
  const stdout = collect(process.stdout, (text) => {
    const newline = text.indexOf("\n");
    if (newline >= 0) resolveLine(text.slice(0, newline));
    for (const [needle, resolve] of awaited) if (text.includes(needle)) resolve();
  });
  const stderr = collect(process.stderr);
  stdout.done.then(() => rejectLine(new Error(`${command} printed no line on stdout`)));
  const saw = () => `stdout: ${stdout.text()}\nstderr: ${stderr.text()}`;
  let finished: Promise<RunResult> | undefined;
  let timedOut = false;
  const killAll = () => {
    timedOut = true;
    killGroup(process);
  };
  const signal = deadlineSignal();
  signal.addEventListener("abort", killAll);
  const finish = () =>
    finished ??= (async () => {
      const status = await process.status;
      signal.removeEventListener("abort", killAll);
      return await exitedResult(process, status, { stdout, stderr }, timedOut);
    })();
  const kill = (signal: Deno.Signal) => {
    try {
      process.kill(signal);
    } catch { /* already gone */ }
  };
  const wait = async (timeoutMs = DEFAULT_TIMEOUT_MS) => {
    const timer = setTimeout(killAll, timeoutMs);
    try {
      return await waitingFor(`${command} to exit`, finish(), saw);
    } finally {
      clearTimeout(timer);
    }
  };
  const stop = (signal: Deno.Signal, timeoutMs?: number) => {
    kill(signal);
    return wait(timeoutMs);
  };
  return {
    process,
    get firstLine() {
      return waitingFor(`a first line on stdout from ${command}`, firstLine, saw);
    },
    printed: () => ({ stdout: stdout.text(), stderr: stderr.text() }),
    shows: (text) => {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      awaited.set(text, resolve);
      if (stdout.text().includes(text)) resolve();
      stdout.done.then(() =>
        reject(new Error(`${command} ended without printing "${text}":\n${saw()}`))
      );
      return waitingFor(`"${text}" on stdout of ${command}`, promise, saw)
        .finally(() => awaited.delete(text));
    },
    wait,
    stop,
    [Symbol.asyncDispose]: async () => {
      killGroup(process);
      await finish();
    },
  };
}
