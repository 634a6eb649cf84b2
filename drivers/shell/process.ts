/**
 * Runs one script in its own process group and streams what it prints, in arrival order, until
 * it exits or its time is up (then the whole group is terminated, and killed if it lingers).
 */
import type { OutputItem } from "./interface.ts";

/** Options of {@linkcode startScript}. */
export interface RunOptions {
  /** The full command line: interpreter, its flags, script, $0, args. */
  argv: readonly string[];
  /** Variables added to the exporter's environment. */
  env: Record<string, string>;
  cwd?: string;
  /** Seconds before the group is terminated. */
  timeout: number;
  /** Milliseconds between SIGTERM and SIGKILL on timeout or cancel. */
  killGraceMs: number;
}

/** How a run ended when its time was up. */
export class ScriptTimeout extends Error {
  constructor(readonly pid: number, readonly seconds: number) {
    super(`timed out after ${seconds} seconds; process group ${pid} was terminated`);
    this.name = "ScriptTimeout";
  }
}

type Event = { stream: 0 | 1; text: string } | { end: 0 | 1 };

/** A process group, signalled as a whole. */
class Group {
  readonly #child: Deno.ChildProcess;
  #exited = false;
  readonly status: Promise<Deno.CommandStatus>;

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.status = child.status.finally(() => this.#exited = true);
  }

  get pid(): number {
    return this.#child.pid;
  }

  signal(signal: Deno.Signal): void {
    try {
      Deno.kill(-this.#child.pid, signal);
    } catch {
      // the group is already gone
    }
  }

  /**
   * SIGTERMs the group, waits up to `graceMs` for the leader to exit, then SIGKILLs whatever is
   * left of the group (members may outlive the leader; none is left behind).
   */
  async terminate(graceMs: number): Promise<void> {
    this.signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lingering = await Promise.race([
      this.status.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), graceMs)),
    ]);
    clearTimeout(timer);
    this.signal("SIGKILL");
    if (lingering) await this.status;
  }

  get exited(): boolean {
    return this.#exited;
  }
}

/** Python's convention: a process killed by signal N has return code -N. */
function returnCode(status: Deno.CommandStatus): number {
  return status.signal === null ? status.code : -(status.code - 128);
}

/** Output chunks in arrival order, with the end of each stream. */
class OutputQueue {
  readonly #events: Event[] = [];
  #wake: () => void = () => {};
  open = 2;

  push(event: Event): void {
    this.#events.push(event);
    this.#wake();
  }

  /** Resolves when something was pushed (or `poke()` was called). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#wake = resolve);
  }

  poke(): void {
    this.#wake();
  }

  get empty(): boolean {
    return this.#events.length === 0;
  }

  /** The next item: consecutive chunks of one stream merged; undefined when none is queued. */
  take(): OutputItem | undefined {
    const item: OutputItem = ["", "", null];
    let current: 0 | 1 | undefined;
    while (this.#events.length > 0) {
      const event = this.#events[0]!;
      if ("end" in event) {
        this.open--;
        this.#events.shift();
        continue;
      }
      if (current !== undefined && event.stream !== current) break;
      current = event.stream;
      item[event.stream] += event.text;
      this.#events.shift();
    }
    return current === undefined ? undefined : item;
  }
}

/** Reads one pipe into the queue, decoding UTF-8 across chunk boundaries. */
function pump(
  queue: OutputQueue,
  stream: 0 | 1,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<void> {
  const decoder = new TextDecoder();
  return (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        queue.push({ stream, text: decoder.decode(value, { stream: true }) });
      }
    } catch {
      // cancelled once time was up
    }
    const rest = decoder.decode();
    if (rest) queue.push({ stream, text: rest });
    queue.push({ end: stream });
  })();
}

/** A running script: its output, and a way to stop it from outside. */
export interface ScriptRun {
  /** Pid of the interpreter, which is also the process group id. */
  readonly pid: number;
  /**
   * `[stdout, stderr, null]` as output arrives (consecutive chunks of one stream merged), then
   * `["", "", returncode]`. Ending the iteration early terminates the group.
   *
   * @throws {ScriptTimeout} once time was up and the group was terminated (output produced
   * before that has been yielded); the `stop()` reason after a stop.
   */
  readonly output: AsyncGenerator<OutputItem>;
  /** Terminates the group now; resolves once the interpreter is gone. */
  stop(reason: Error): Promise<void>;
}

/**
 * Starts the script in a new process group.
 *
 * @throws {Deno.errors.NotFound} when the interpreter does not exist.
 */
export function startScript(options: RunOptions): ScriptRun {
  const [program, ...args] = options.argv;
  const child = new Deno.Command(program!, {
    args,
    env: options.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const group = new Group(child);
  const queue = new OutputQueue();
  const readers = [child.stdout.getReader(), child.stderr.getReader()] as const;
  const pumps = [pump(queue, 0, readers[0]), pump(queue, 1, readers[1])];
  const stopReading = async () => {
    await Promise.allSettled(readers.map((reader) => reader.cancel()));
    await Promise.all(pumps);
  };
  let stopped: Error | undefined;
  const stop = async (reason: Error) => {
    stopped ??= reason;
    queue.poke();
    await group.terminate(options.killGraceMs);
    await stopReading();
  };
  return {
    pid: group.pid,
    output: output(options, group, queue, stopReading, () => stopped),
    stop,
  };
}

async function* output(
  options: RunOptions,
  group: Group,
  queue: OutputQueue,
  stopReading: () => Promise<void>,
  stopped: () => Error | undefined,
): AsyncGenerator<OutputItem> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    queue.poke();
  }, options.timeout * 1000);
  let exited = false;
  group.status.then(() => {
    exited = true;
    queue.poke();
  });
  try {
    // output first; then the exit status (a script may close its pipes and keep running)
    while (!timedOut && !stopped() && (queue.open > 0 || !exited)) {
      const item = queue.take();
      if (item) yield item;
      else if (queue.open > 0 || !exited) await queue.changed();
    }
    const reason = stopped();
    if (reason) throw reason;
    if (timedOut) {
      await group.terminate(options.killGraceMs);
      // a process that left the group may still hold the pipes: stop reading
      await stopReading();
      for (let item = queue.take(); item; item = queue.take()) yield item;
      throw new ScriptTimeout(group.pid, options.timeout);
    }
    yield ["", "", returnCode(await group.status)];
  } finally {
    clearTimeout(timer);
    if (!group.exited) await group.terminate(options.killGraceMs);
    await stopReading();
  }
}
