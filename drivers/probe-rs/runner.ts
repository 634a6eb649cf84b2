/**
 * Runs the probe-rs CLI as upstream does: `[probe_rs_path, subcommand, ...args]` with the
 * environment replaced by the probe-rs variables, stdout and stderr captured. Unlike upstream,
 * which logs a failure and returns "", a failure throws one line naming the command, its exit
 * status and probe-rs's own error.
 */
import { DriverError } from "@jumpstarter/lib/wire";
import type { Logger } from "@jumpstarter/lib/driver";

const KILL_GRACE_MS = 2000;

/** probe-rs's error, in one line: its `Error:` line and the innermost `Caused by` entry. */
export function errorSummary(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  const errorAt = lines.findIndex((line) => line.startsWith("Error:"));
  if (errorAt === -1) return lines.at(-1) ?? "no error output";
  const error = lines[errorAt]!.slice("Error:".length).trim();
  const causes = lines.slice(errorAt + 1)
    .filter((line) => /^\d+:\s/.test(line))
    .map((line) => line.replace(/^\d+:\s*/, ""));
  return causes.length ? `${error} (caused by: ${causes.at(-1)})` : error;
}

/** One probe-rs process at a time, killed if its driver closes. */
export class ProbeRsRunner {
  readonly #path: string;
  readonly #env: Record<string, string>;
  readonly #logger: Logger;
  #turn: Promise<void> = Promise.resolve();
  #running: Deno.ChildProcess | undefined;
  #closed = false;

  constructor(path: string, env: Record<string, string>, logger: Logger) {
    this.#path = path;
    this.#env = env;
    this.#logger = logger;
  }

  /** Runs `probe-rs ...args` and returns its stdout; waits for a run in progress first. */
  run(args: string[]): Promise<string> {
    const previous = this.#turn;
    const { promise: done, resolve } = Promise.withResolvers<void>();
    this.#turn = done;
    return previous.then(() => this.#run(args)).finally(resolve);
  }

  async #run(args: string[]): Promise<string> {
    const what = `probe-rs ${args[0]}`;
    if (this.#closed) throw new DriverError(`Cannot run ${what}: the driver is closed`);
    this.#logger.debug(`Running command: ${JSON.stringify([this.#path, ...args])}`);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.#path, {
        args,
        env: this.#env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new DriverError(
          `Cannot run ${what}: ${this.#path} was not found (set probe_rs_path to the probe-rs binary)`,
        );
      }
      if (error instanceof Deno.errors.PermissionDenied) {
        throw new DriverError(`Cannot run ${what}: ${this.#path} is not executable`);
      }
      throw new DriverError(`Cannot run ${what}: ${(error as Error).message}`);
    }
    this.#running = child;
    try {
      const { code, signal, stdout, stderr } = await child.output();
      const out = new TextDecoder().decode(stdout);
      const err = new TextDecoder().decode(stderr);
      if (code !== 0) {
        this.#logger.error(`Error running ${what}: ${err}`);
        const status = signal ? `killed by ${signal}` : `exit status ${code}`;
        throw new DriverError(`${what} failed (${status}): ${errorSummary(err)}`);
      }
      this.#logger.debug(`Command output: ${out}`);
      return out;
    } finally {
      this.#running = undefined;
    }
  }

  /** Stops a run in progress (SIGTERM, then SIGKILL) and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#running;
    if (!child) return;
    try {
      child.kill("SIGTERM");
    } catch {
      return; // already gone
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, KILL_GRACE_MS);
    await child.status;
    clearTimeout(timer);
  }
}
