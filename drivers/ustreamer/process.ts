/**
 * The `ustreamer` daemon a UStreamer driver runs: started with the config's arguments and
 * `--unix SOCKET`, its log lines passed to the driver's logger, ready once it says it listens,
 * and terminated (SIGTERM, then SIGKILL after 5 s) when the driver closes.
 */
import type { Logger } from "@jumpstarter/lib/driver";
import { DriverError } from "@jumpstarter/lib/wire";

const READY_LINE = /Listening HTTP on UNIX socket/;
const ERROR_LINE = /(^| )(ERROR|unrecognized option|invalid|Can't)/i;
const TERMINATE_GRACE_MS = 5_000;
const READY_TIMEOUT_MS = 15_000;

/** The command line upstream builds: `EXE --key value ... --unix SOCKET`. */
export function ustreamerArgs(args: Record<string, string>, socket: string): string[] {
  return [...Object.entries(args).flatMap(([key, value]) => [`--${key}`, value]), "--unix", socket];
}

function tidy(line: string): string {
  return line.replace(/^-- [A-Z]+ +\[[^\]]*\] -- /, "").trim();
}

/** A running (or exited) ustreamer. */
export class UStreamerProcess {
  readonly socket: string;
  readonly #child: Deno.ChildProcess;
  readonly #logger: Logger;
  readonly #ready = Promise.withResolvers<void>();
  #lastError: string | undefined;
  #lastLine: string | undefined;
  #exit: string | undefined;
  readonly #output: Promise<void>;

  constructor(executable: string, args: Record<string, string>, socket: string, logger: Logger) {
    this.socket = socket;
    this.#logger = logger;
    this.#ready.promise.catch(() => {});
    this.#child = new Deno.Command(executable, {
      args: ustreamerArgs(args, socket),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#output = Promise.all([
      this.#follow(this.#child.stdout),
      this.#follow(this.#child.stderr),
    ]).then(() => {});
    this.#child.status.then(async (status) => {
      await this.#output;
      const how = status.signal !== null
        ? `was killed by ${status.signal}`
        : `exited with code ${status.code}`;
      const detail = this.#lastError ?? this.#lastLine;
      this.#exit = `ustreamer ${how}${detail === undefined ? "" : `: ${detail}`}`;
      this.#ready.reject(new DriverError(this.#exit));
    });
  }

  async #follow(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) this.#line(line);
    }
    if (pending !== "") this.#line(pending);
  }

  #line(raw: string): void {
    const line = tidy(raw);
    if (line === "" || /^=+$/.test(line)) return;
    this.#logger.debug(`ustreamer: ${line}`);
    this.#lastLine = line;
    if (ERROR_LINE.test(raw)) this.#lastError = line;
    if (READY_LINE.test(raw)) this.#ready.resolve();
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Why it is gone (`ustreamer exited with code 1: ...`), or `undefined` while it runs. */
  get exit(): string | undefined {
    return this.#exit;
  }

  /**
   * Settles once it listens on its socket.
   *
   * @throws {DriverError} one line with its last error when it exits first or does not get there
   *   within 15 s.
   */
  async ready(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DriverError(`ustreamer did not listen on ${this.socket} within 15 s`)),
        READY_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.#ready.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s; settles once it is gone. */
  async terminate(): Promise<void> {
    if (this.#exit !== undefined) return;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const killer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, TERMINATE_GRACE_MS);
    try {
      await this.#child.status;
      await this.#output;
    } finally {
      clearTimeout(killer);
    }
  }
}
