/**
 * beforeLease / afterLease hooks: a script run on the exporter host with access to the lease's
 * session (`JUMPSTARTER_HOST`), its output sent to the session's LogStream.
 */
import type { HookInstance } from "@jumpstarter/lib/config";
import type { Severity } from "@jumpstarter/lib/driver";

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
}

function interpreter(hook: HookInstance): { program: string; args: string[] } {
  const exec = hook.exec ?? "/bin/sh";
  const isFile = !hook.script.includes("\n") && /^[\w./~-]+$/.test(hook.script);
  return isFile
    ? { program: exec, args: [hook.script] }
    : { program: exec, args: ["-c", hook.script] };
}

async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  severity: Severity,
  log: HookLog,
): Promise<void> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) log(line.replace(/\r$/, ""), severity);
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
    };
    child = new Deno.Command(program, {
      args,
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    })
      .spawn();
  } catch (error) {
    return { ok: false, message: `cannot run hook: ${(error as Error).message}` };
  }
  const output = Promise.all([
    forwardLines(child.stdout, "INFO", options.log),
    forwardLines(child.stderr, "WARNING", options.log),
  ]);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, hook.timeout * 1000);
  const status = await child.status;
  clearTimeout(timer);
  await output.catch(() => {});
  if (timedOut) return { ok: false, message: `hook timed out after ${hook.timeout}s` };
  if (!status.success) return { ok: false, message: `hook exited with code ${status.code}` };
  return { ok: true, message: "" };
}
