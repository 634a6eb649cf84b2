/**
 * One running QEMU process: started paused, attached to through QMP and the console socket, then
 * let run; stopped through QMP (guest powerdown, then quit) with signals as the last resort.
 */
import type { Logger } from "@jumpstarter/lib/driver";
import { DriverError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import { QmpClient } from "./qmp.ts";

/** How long QEMU has to create its sockets after it was started. */
const STARTUP_MS = 10_000;
/** How long each stop step (QMP quit, SIGTERM) may take before the next one. */
const STEP_MS = 5_000;
const STDERR_TAIL = 20;

/** How a stop ended the process. */
export type StopMethod = "exited" | "powerdown" | "quit" | "sigterm" | "sigkill";

/** What to start. */
export interface ProcessSpec {
  binary: string;
  args: string[];
  qmpPath: string;
  consolePath: string;
}

function delay(ms: number): Promise<"timeout"> & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Object.assign(promise, { cancel: () => clearTimeout(timer) });
}

/** Connects to a Unix socket QEMU is about to create, giving up when QEMU exits or time is up. */
async function connectWhenReady(
  path: string,
  exited: Promise<unknown>,
  deadline: number,
  what: () => string,
): Promise<Deno.UnixConn> {
  let gone = false;
  exited.then(() => gone = true, () => gone = true);
  for (let wait = 5;; wait = Math.min(wait * 2, 100)) {
    try {
      return await Deno.connect({ transport: "unix", path });
    } catch (error) {
      // the socket file appears just before QEMU listens on it: refused means "not yet"
      if (
        !(error instanceof Deno.errors.NotFound) &&
        !(error instanceof Deno.errors.ConnectionRefused)
      ) throw error;
    }
    if (gone) throw new DriverError(`QEMU exited while starting${what()}`);
    if (Date.now() > deadline) {
      throw new DriverTimeoutError(`QEMU did not open ${path} within ${STARTUP_MS / 1000} s`);
    }
    const pause = delay(wait);
    await Promise.race([pause, exited.catch(() => {})]);
    pause.cancel();
  }
}

/** A QEMU process started by {@linkcode QemuProcess.start}. */
export class QemuProcess {
  readonly pid: number;
  /** The guest's serial console: bytes from the guest, and keystrokes to it. The owner closes it. */
  readonly console: Deno.UnixConn;
  /** Settles with the exit status once the process has ended (and was reaped). */
  readonly exited: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #qmp: QmpClient;
  readonly #stderr: string[];
  readonly #output: Promise<void>;
  #exitedFlag = false;

  private constructor(
    child: Deno.ChildProcess,
    qmp: QmpClient,
    console: Deno.UnixConn,
    stderr: string[],
    output: Promise<void>,
  ) {
    this.#child = child;
    this.pid = child.pid;
    this.#qmp = qmp;
    this.console = console;
    this.#stderr = stderr;
    this.#output = output;
    this.exited = child.status;
    this.exited.then(() => this.#exitedFlag = true);
  }

  /**
   * Starts QEMU (which must have been given `-S`), connects QMP and the console, and lets the
   * guest run.
   *
   * @throws {DriverError} when QEMU is not installed or exits while starting (with its stderr).
   */
  static async start(spec: ProcessSpec, logger: Logger): Promise<QemuProcess> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(spec.binary, {
        args: spec.args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new DriverError(
          `Cannot start QEMU: ${spec.binary} is not installed (Debian: qemu-system-arm for aarch64/arm, qemu-system-x86 for x86_64)`,
        );
      }
      throw new DriverError(`Cannot start ${spec.binary}: ${(error as Error).message}`);
    }
    const stderr: string[] = [];
    const output = Promise.all([
      forwardLines(child.stdout, (line) => logger.info(`qemu: ${line}`)),
      forwardLines(child.stderr, (line) => {
        stderr.push(line);
        if (stderr.length > STDERR_TAIL) stderr.shift();
        logger.warning(`qemu: ${line}`);
      }),
    ]).then(() => {});
    const tail = () => (stderr.length ? `: ${stderr.join("\n")}` : "");
    const deadline = Date.now() + STARTUP_MS;
    let qmp: QmpClient | undefined;
    let console: Deno.UnixConn | undefined;
    try {
      // QEMU writes its stderr before it exits: read all of it for the message
      const exited = child.status.then(async (status) => {
        await output;
        return status;
      });
      const qmpConn = await connectWhenReady(spec.qmpPath, exited, deadline, tail);
      qmp = await QmpClient.open(qmpConn, spec.qmpPath);
      qmp.onEvent = (event) => logger.info(`QMP event ${event.event}`);
      console = await connectWhenReady(spec.consolePath, exited, deadline, tail);
      await qmp.execute("cont");
    } catch (error) {
      qmp?.close();
      console?.close();
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await output;
      if (error instanceof DriverError && error.message.startsWith("QEMU exited")) {
        throw new DriverError(`QEMU exited while starting${tail()}`);
      }
      throw error;
    }
    return new QemuProcess(child, qmp, console, stderr, output);
  }

  /** Whether the process has ended. */
  get hasExited(): boolean {
    return this.#exitedFlag;
  }

  /** The last lines QEMU wrote to stderr. */
  get stderrTail(): string[] {
    return [...this.#stderr];
  }

  /** Runs a QMP command. */
  qmp(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return this.#qmp.execute(command, args);
  }

  async #waitExit(ms: number): Promise<boolean> {
    if (this.#exitedFlag) return true;
    const timer = delay(ms);
    const result = await Promise.race([this.exited.then(() => "exited" as const), timer]);
    timer.cancel();
    return result === "exited";
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // exited in the meantime
    }
  }

  /**
   * Stops the process: with `graceful` > 0 the guest is asked to power down (ACPI/PSCI power
   * button) and given that many seconds; then QMP `quit`; then SIGTERM; then SIGKILL. Resolves
   * once the process has been reaped, with the step that ended it.
   */
  async stop(graceful: number): Promise<StopMethod> {
    let method: StopMethod = "exited";
    if (!this.#exitedFlag && graceful > 0) {
      method = "powerdown";
      const asked = await this.qmp("system_powerdown").then(() => true, () => false);
      if (!asked || !(await this.#waitExit(graceful * 1000))) method = "quit";
    }
    if (!this.#exitedFlag && method !== "powerdown") {
      method = "quit";
      // QEMU may close the socket before it answers quit; the exit is what counts
      await this.qmp("quit").catch(() => {});
      if (!(await this.#waitExit(STEP_MS))) {
        method = "sigterm";
        this.#signal("SIGTERM");
        if (!(await this.#waitExit(STEP_MS))) {
          method = "sigkill";
          this.#signal("SIGKILL");
        }
      }
    }
    await this.exited;
    this.#qmp.close();
    await this.#output;
    return method;
  }
}

async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffered = "";
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trimEnd();
        buffered = buffered.slice(newline + 1);
        if (line) onLine(line);
      }
    }
  } catch {
    // the pipe broke with the process; what was read has been forwarded
  }
  if (buffered.trim()) onLine(buffered.trimEnd());
}
