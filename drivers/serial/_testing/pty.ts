/**
 * Real peers for the serial tests: socat pty pairs and a shell on a pty, as subprocesses.
 */
import { eventually } from "@jumpstarter/lib/testing";

/** A running socat, stopped (with its log kept for failure messages) on dispose. */
export interface Socat extends AsyncDisposable {
  readonly pid: number;
  log(): string;
  /** Sends `signal` and waits for socat to exit. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/** Options of {@linkcode startSocat}. */
export interface SocatOptions {
  env?: Record<string, string>;
  /** What socat logs once ready (default: its data transfer loop starting). */
  ready?: string;
}

/**
 * Starts `socat -d -d <a> <b>` and resolves once it reports it is ready: by default once its data
 * transfer loop starts, i.e. once both addresses (and any `link=` symlinks) exist.
 */
export async function startSocat(a: string, b: string, options: SocatOptions = {}): Promise<Socat> {
  const ready = options.ready ?? "starting data transfer loop";
  const child = new Deno.Command("socat", {
    args: ["-d", "-d", a, b],
    env: options.env ?? {},
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  for (;;) {
    const { value, done } = await lines.read();
    if (done) {
      await child.status;
      throw new Error(`socat ${a} ${b} exited before it was ready:\n${log}`);
    }
    log += value;
    if (log.includes(ready)) break;
  }
  const draining = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return;
      log += value;
    }
  })().catch(() => {});
  let stopping: Promise<void> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") =>
    stopping ??= (async () => {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      await child.status;
      // forked children of a killed socat (a `fork` listener) may still hold the pipe
      await lines.cancel().catch(() => {});
      await draining;
    })();
  return { pid: child.pid, log: () => log, stop, [Symbol.asyncDispose]: () => stop() };
}

/** Two linked ptys at `a` and `b` (raw, no echo). */
export function ptyPair(a: string, b: string): Promise<Socat> {
  return startSocat(`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`);
}

/**
 * An interactive `sh` on a pty of its own (echo on, a controlling terminal, as on a board's
 * console), wired to a raw pty at `link` for the driver; its prompt is `prompt`.
 */
export function ptyShell(link: string, prompt = "board$ "): Promise<Socat> {
  return startSocat(
    `pty,raw,echo=0,link=${link}`,
    "EXEC:sh -i,pty,stderr,setsid,sigint,ctty",
    { env: { PS1: prompt, ENV: "" } },
  );
}

/** A temporary directory removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "jmp-serial-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/** Polls `check` every 20 ms until it returns a value other than undefined, or fails. */
export function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  describe: () => string | Promise<string> = () => "",
): Promise<T> {
  return eventually<T>(what, check, { timeoutMs, describe });
}
