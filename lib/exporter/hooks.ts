/**
 * beforeLease / afterLease hooks: a script run on the exporter host with access to the lease's
 * session (`JUMPSTARTER_HOST`), its output sent to the session's LogStream.
 */
import type { HookInstance } from "@jumpstarter/lib/config";
import type { Severity } from "@jumpstarter/lib/driver";

/** Signal numbers, for Python's negative return code of a signalled child. */
const SIGNALS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/** Where hook output goes: one call per line. */
export type HookLog = (line: string, severity: Severity) => void;

/** What a hook run ended with. */
export interface HookResult {
  ok: boolean;
  /** Why it failed (exit code, timeout, could not start). */
  message: string;
}

/** Options of {@linkcode runHook}. */
export interface HookRunOptions {
  /** The lease session's socket. */
  host: string;
  leaseName: string;
  clientName: string;
  log: HookLog;
  /** More variables for the hook (e.g. `JMP_MOTD_FILE` for a beforeLease hook). */
  env?: Record<string, string>;
}

/** How long a timed-out hook gets between SIGTERM and SIGKILL, as upstream. */
const TERMINATE_GRACE_MS = 5000;
/** How long output is still read after the hook ended. */
const OUTPUT_DRAIN_MS = 500;

/** The program a hook runs and its arguments (the script's path, or `-c SCRIPT`). */
export function interpreter(hook: HookInstance): { program: string; args: string[] } {
  const exec = hook.exec ?? "/bin/sh";
  const isFile = !hook.script.includes("\n") && /^[\w./~-]+$/.test(hook.script);
  return isFile
    ? { program: exec, args: [hook.script] }
    : { program: exec, args: ["-c", hook.script] };
}

/** Forwards `stream` line by line until it ends or `stop` aborts (the rest of a line is kept). */
async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  severity: Severity,
  log: HookLog,
  stop: AbortSignal,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  stop.addEventListener("abort", cancel, { once: true });
  let pending = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) log(line.replace(/\r$/, ""), severity);
    }
  } catch {
    /* cancelled */
  } finally {
    stop.removeEventListener("abort", cancel);
  }
  if (pending) log(pending, severity);
}

/** Runs a hook to completion (or its timeout, which kills it). */
export async function runHook(hook: HookInstance, options: HookRunOptions): Promise<HookResult> {
  const { program, args } = interpreter(hook);
  let child: Deno.ChildProcess;
  try {
    const env: Record<string, string> = {
      JUMPSTARTER_HOST: options.host,
      JMP_DRIVERS_ALLOW: "UNSAFE",
      LEASE_NAME: options.leaseName,
      CLIENT_NAME: options.clientName,
      TERM: "dumb",
      DEBIAN_FRONTEND: "noninteractive",
      GIT_TERMINAL_PROMPT: "0",
      ...options.env,
    };
    child = new Deno.Command(program, {
      args,
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      // its own process group, so a timeout ends everything the script started
      detached: true,
    })
      .spawn();
  } catch (error) {
    return { ok: false, message: `Error executing hook: ${(error as Error).message}` };
  }
  const stopReading = new AbortController();
  const output = Promise.all([
    forwardLines(child.stdout, "INFO", options.log, stopReading.signal),
    forwardLines(child.stderr, "WARNING", options.log, stopReading.signal),
  ]);
  let timedOut = false;
  const signal = (name: Deno.Signal) => {
    try {
      Deno.kill(-child.pid, name);
    } catch { /* already gone */ }
  };
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    signal("SIGTERM");
    killTimer = setTimeout(() => signal("SIGKILL"), TERMINATE_GRACE_MS);
  }, hook.timeout * 1000);
  const status = await child.status;
  clearTimeout(timer);
  clearTimeout(killTimer);
  // a process the script left running in the background may hold its output open: stop reading
  // shortly after the script itself ended
  const drain = setTimeout(() => stopReading.abort(), OUTPUT_DRAIN_MS);
  await output.catch(() => {});
  clearTimeout(drain);
  // upstream's wording: the client shows these messages in its hook failure reports
  if (timedOut) return { ok: false, message: `Hook timed out after ${hook.timeout} seconds` };
  if (!status.success) {
    const code = status.signal ? -(SIGNALS[status.signal] ?? 0) : status.code;
    return { ok: false, message: `Hook failed with exit code ${code}` };
  }
  return { ok: true, message: "" };
}
