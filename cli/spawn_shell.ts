/**
 * Runs the user's shell, or a command, with a session's environment; returns its exit code.
 */
import { closeOnExecAll } from "@jumpstarter/lib/exporter";
import { ExitCode } from "./errors.ts";

/** Options of {@linkcode runInShell}. */
export interface ShellOptions {
  /** Variables added to the inherited environment. */
  env: Record<string, string>;
  /** Prompt context shown as `⚡<context>` (e.g. `local`). */
  context: string;
  /** Let bash/zsh read their rc files (client config `shell.use_profiles`). */
  useProfiles?: boolean;
}

function shellInvocation(
  context: string,
  useProfiles: boolean,
): { argv: string[]; env: Record<string, string> } {
  const shell = Deno.env.get("SHELL") || "bash";
  const name = shell.split("/").pop() ?? shell;
  if (name === "bash") {
    return {
      argv: useProfiles ? [shell] : [shell, "--norc", "--noprofile"],
      env: {
        PS1: `\\[\\e[90m\\]\\W \\[\\e[33m\\]⚡\\[\\e[97m\\]${context} \\[\\e[33m\\]➤\\[\\e[0m\\] `,
      },
    };
  }
  if (name === "zsh") {
    return {
      argv: useProfiles ? [shell] : [shell, "--no-rcs"],
      env: { PS1: `%F{8}%1~ %F{yellow}⚡%F{white}${context} %F{yellow}➤%f ` },
    };
  }
  return { argv: [shell], env: {} };
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

/**
 * Runs `command` (or an interactive shell when empty) and waits for it. While it runs, SIGINT
 * reaches the child through the terminal and is ignored here; SIGTERM and SIGHUP are passed on.
 *
 * @returns the child's exit code, or 128+N when it died of signal N.
 * @throws {ExitCode} 127 when the command does not exist, 126 when it cannot be run.
 */
export async function runInShell(command: string[], options: ShellOptions): Promise<number> {
  const invocation = command.length > 0
    ? { argv: command, env: {} }
    : shellInvocation(options.context, options.useProfiles ?? false);
  const [program, ...args] = invocation.argv as [string, ...string[]];
  // the child gets stdio only, as upstream's do: no listener, no descriptor we inherited
  closeOnExecAll();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      env: { ...invocation.env, ...options.env },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    const notFound = error instanceof Deno.errors.NotFound;
    console.error(`Error: cannot run "${program}": ${(error as Error).message}`);
    throw new ExitCode(notFound ? 127 : 126);
  }
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  };
  const listeners: [Deno.Signal, () => void][] = [
    ["SIGINT", () => {}],
    ["SIGTERM", forward("SIGTERM")],
    ["SIGHUP", forward("SIGHUP")],
  ];
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  try {
    const status = await child.status;
    if (status.signal) return 128 + (SIGNALS[status.signal] ?? 0);
    return status.code;
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
}
