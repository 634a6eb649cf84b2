/**
 * Running `jmp` (and other programs) as subprocesses for the end-to-end tests: a clean, private
 * environment, a new process group killed whole, and what they printed.
 */
import { fileURLToPath } from "node:url";
import { deadlineSignal, waitingFor } from "@jumpstarter/lib/testing";

/** The workspace root, `/work/main/` when checked out there. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));
export const DENO_CONFIG: string = fileURLToPath(new URL("../deno.json", import.meta.url));
export const JMP_MAIN: string = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
export const VIRTUAL_LAB: string = fileURLToPath(
  new URL("../examples/virtual-lab.yaml", import.meta.url),
);

/** Variables a session exports; removed from what subprocesses inherit unless set again. */
const SESSION_VARIABLES = [
  "JUMPSTARTER_HOST",
  "JMP_DRIVERS_ALLOW",
  "JMP_DRIVERS_UNSAFE",
  "JMP_GRPC_INSECURE",
  "JMP_GRPC_PASSPHRASE",
  "JMP_DEBUG",
];

/** Default time a subprocess may take before it is killed and the test fails. */
export const DEFAULT_TIMEOUT_MS = 20_000;

/** Options of {@linkcode run} and {@linkcode jmp}. */
export interface RunOptions {
  /** Added to (or replacing) the inherited environment, minus session variables. */
  env?: Record<string, string>;
  /** Inherited variables to drop as well. */
  unset?: string[];
  cwd?: string;
  /** Kill the process after this long (it then counts as hung). */
  timeoutMs?: number;
}

/** What a finished subprocess did. */
export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  /** The process did not exit by itself within the timeout and was killed. */
  timedOut: boolean;
}

/** The environment for a subprocess: inherited, without session variables, plus `options.env`. */
export function childEnv(options: RunOptions = {}): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of [...SESSION_VARIABLES, ...(options.unset ?? [])]) delete env[name];
  return { ...env, NO_COLOR: "1", ...options.env };
}

/** The argv (after the deno executable) that runs `jmp ARGS...`. */
export function jmpArgs(args: string[]): string[] {
  return ["run", "-A", "--quiet", "--config", DENO_CONFIG, JMP_MAIN, ...args];
}

/** How long output may keep flowing after a process ended (from a child it left behind). */
export const DRAIN_MS = 2_000;

/** Text collected from a byte stream by {@linkcode collect}. */
export interface Collected {
  text(): string;
  /** Resolves when the stream ended (or the read was cancelled). */
  done: Promise<void>;
  /** Cancels the read, keeping what came. */
  stop(): void;
}

/** Collects a byte stream as text; `stop()` cancels the read and keeps what came. */
export function collect(
  stream: ReadableStream<Uint8Array>,
  onText?: (text: string) => void,
): Collected {
  let text = "";
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
        onText?.(text);
      }
    } catch { /* cancelled */ }
  })();
  return { text: () => text, done, stop: () => void reader.cancel().catch(() => {}) };
}

/**
 * Kills `child` and every process it started (it leads its own process group, see
 * {@linkcode spawnGroup}), so that nothing it left behind keeps our pipes open.
 */
export function killGroup(child: Deno.ChildProcess, signal: Deno.Signal = "SIGKILL"): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch { /* the group is gone */ }
}

/** Spawns `program` as the leader of a new process group, with piped output and no stdin. */
export function spawnGroup(
  program: string,
  args: string[],
  options: RunOptions,
): Deno.ChildProcess {
  return new Deno.Command(program, {
    args,
    cwd: options.cwd ?? ROOT,
    env: childEnv(options),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
}

/**
 * What `child` did once it exited with `status`: everything it left behind in its process group
 * is killed, and its output is what came until its pipes closed (or {@linkcode DRAIN_MS} later).
 */
export async function exitedResult(
  child: Deno.ChildProcess,
  status: Deno.CommandStatus,
  output: { stdout: Collected; stderr: Collected },
  timedOut: boolean,
): Promise<RunResult> {
  killGroup(child);
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all([output.stdout.done, output.stderr.done]),
    new Promise((resolve) => drainTimer = setTimeout(resolve, DRAIN_MS)),
  ]);
  clearTimeout(drainTimer);
  output.stdout.stop();
  output.stderr.stop();
  return {
    code: status.code,
    signal: status.signal,
    stdout: output.stdout.text(),
    stderr: output.stderr.text(),
    timedOut,
  };
}

/**
 * Runs `program args...` to completion with piped output and no stdin. A process that does not
 * exit within the timeout (or the test's deadline) is killed with everything it started; output
 * a left-behind child keeps writing is cut off shortly after the process ends.
 */
export async function run(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const child = spawnGroup(program, args, options);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  let timedOut = false;
  const kill = () => {
    timedOut = true;
    killGroup(child);
  };
  const timer = setTimeout(kill, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = deadlineSignal();
  signal.addEventListener("abort", kill);
  const what = `${program} ${args.join(" ")} to exit`;
  const saw = () => `stdout: ${stdout.text()}\nstderr: ${stderr.text()}`;
  try {
    const status = await waitingFor(what, child.status, saw);
    return await exitedResult(child, status, { stdout, stderr }, timedOut);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", kill);
  }
}

/** Runs `jmp ARGS...` through `deno run` of this workspace. */
export function jmp(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(Deno.execPath(), jmpArgs(args), options);
}

/** Runs `jmp shell --exporter-config examples/virtual-lab.yaml -- COMMAND...`. */
export function jmpShell(command: string[], options: RunOptions = {}): Promise<RunResult> {
  return jmp(["shell", "--exporter-config", VIRTUAL_LAB, "--", ...command], options);
}
