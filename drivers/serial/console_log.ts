/**
 * The console log of one session: everything the device sent, in a file bounded to a maximum
 * size that keeps the newest bytes. Readers address bytes by absolute offset since the session
 * started, so they keep their place when old bytes are dropped.
 */
import { join } from "node:path";
import type { Grants } from "@jumpstarter/lib/driver";

/** How often an idle follower of a log yields "" ({@linkcode ConsoleLog.text}). */
const FOLLOW_HEARTBEAT_MS = 10_000;

/** Where logs go by default: `$XDG_STATE_HOME/jumpstarter/console` or `~/.local/state/...`. */
export function defaultLogDir(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string {
  const state = env.XDG_STATE_HOME || (env.HOME ? join(env.HOME, ".local", "state") : undefined);
  if (!state) {
    throw new Error(
      "Cannot find a directory for console logs: set log_dir, XDG_STATE_HOME or HOME",
    );
  }
  return join(state, "jumpstarter", "console");
}

/**
 * What keeping console logs in `logDir` takes: reading and writing it. Without one, the default
 * directory ({@linkcode defaultLogDir}) found from this environment, and the variables naming it.
 */
export function consoleLogGrants(logDir?: string): Grants {
  if (logDir !== undefined) return { read: [logDir], write: [logDir] };
  const env = ["XDG_STATE_HOME", "HOME"];
  try {
    const dir = defaultLogDir();
    return { read: [dir], write: [dir], env };
  } catch {
    return { env }; // no HOME here: the driver says so when it starts
  }
}

function timestamp(date: Date): string {
  // 2025-01-31T12:00:00.123Z -> 20250131T120000.123Z: sortable and safe in file names
  return date.toISOString().replace(/[-:]/g, "");
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let offset = 0; offset < data.byteLength;) {
    offset += await file.write(data.subarray(offset));
  }
}

async function readFully(file: Deno.FsFile, into: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < into.byteLength) {
    const count = await file.read(into.subarray(filled));
    if (count === null) break;
    filled += count;
  }
  return filled;
}

/**
 * A bounded, append-only (from the outside) log file. The file never exceeds `maxBytes`; when an
 * append would pass it, the file is rewritten to hold the newest `maxBytes / 2` bytes, so it
 * always holds at least that much of the most recent output.
 */
export class ConsoleLog {
  readonly path: string;
  readonly maxBytes: number;
  readonly #file: Deno.FsFile;
  /** Absolute offset of the file's first byte (bytes dropped so far). */
  #start = 0;
  #size = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #waiters: (() => void)[] = [];

  private constructor(path: string, file: Deno.FsFile, maxBytes: number) {
    this.path = path;
    this.#file = file;
    this.maxBytes = maxBytes;
  }

  /** Creates `<dir>/<name>-<timestamp>.log` (with a counter if that exists). */
  static async create(dir: string, name: string, maxBytes: number): Promise<ConsoleLog> {
    await Deno.mkdir(dir, { recursive: true });
    const stem = `${name.replace(/[^\w.-]/g, "_")}-${timestamp(new Date())}`;
    for (let attempt = 0;; attempt++) {
      const path = join(dir, attempt === 0 ? `${stem}.log` : `${stem}-${attempt}.log`);
      try {
        const file = await Deno.open(path, { read: true, write: true, createNew: true });
        return new ConsoleLog(path, file, maxBytes);
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
    }
  }

  /** Absolute offset of the oldest byte still in the log. */
  get start(): number {
    return this.#start;
  }

  /** Absolute offset just past the newest byte. */
  get end(): number {
    return this.#start + this.#size;
  }

  /** Readers waiting in {@linkcode changed} (for tests). */
  get waiting(): number {
    return this.#waiters.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs file operations one at a time (appends, compaction and reads share one handle). */
  #serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Appends device output, dropping the oldest bytes when the file would grow too big. */
  append(chunk: Uint8Array): Promise<void> {
    if (this.#closed || chunk.byteLength === 0) return Promise.resolve();
    return this.#serialize(async () => {
      if (this.#size + chunk.byteLength <= this.maxBytes) {
        await this.#file.seek(this.#size, Deno.SeekMode.Start);
        await writeAll(this.#file, chunk);
        this.#size += chunk.byteLength;
      } else {
        await this.#compact(chunk);
      }
      this.#notify();
    });
  }

  async #compact(chunk: Uint8Array): Promise<void> {
    const keep = Math.floor(this.maxBytes / 2);
    let kept: Uint8Array;
    if (chunk.byteLength >= keep) {
      kept = chunk.subarray(chunk.byteLength - keep);
    } else {
      const fromFile = keep - chunk.byteLength;
      kept = new Uint8Array(keep);
      await this.#file.seek(this.#size - fromFile, Deno.SeekMode.Start);
      await readFully(this.#file, kept.subarray(0, fromFile));
      kept.set(chunk, fromFile);
    }
    await this.#file.truncate(0);
    await this.#file.seek(0, Deno.SeekMode.Start);
    await writeAll(this.#file, kept);
    this.#start += this.#size + chunk.byteLength - kept.byteLength;
    this.#size = kept.byteLength;
  }

  /**
   * Reads up to `max` bytes from absolute offset `offset` (moved up to `start` if those bytes
   * were dropped). Returns where the bytes begin and the bytes (empty at the end).
   */
  read(offset: number, max = 64 * 1024): Promise<{ offset: number; bytes: Uint8Array }> {
    return this.#serialize(async () => {
      const from = Math.max(offset, this.#start);
      const length = Math.max(0, Math.min(max, this.#start + this.#size - from));
      if (length === 0 || this.#closed) return { offset: from, bytes: new Uint8Array(0) };
      const bytes = new Uint8Array(length);
      await this.#file.seek(from - this.#start, Deno.SeekMode.Start);
      return { offset: from, bytes: bytes.subarray(0, await readFully(this.#file, bytes)) };
    });
  }

  /**
   * The log's text (invalid UTF-8 becomes U+FFFD) from the oldest byte kept, read to its end;
   * with `follow`, keeps yielding new text until the log closes or `signal` aborts. An idle
   * follower yields "" every `heartbeatMs`, so that a caller that went away is noticed.
   */
  async *text(
    follow: boolean,
    signal: AbortSignal,
    heartbeatMs = FOLLOW_HEARTBEAT_MS,
  ): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    let offset = this.start;
    for (;;) {
      const { offset: from, bytes } = await this.read(offset);
      offset = from + bytes.byteLength;
      if (bytes.byteLength > 0) {
        const text = decoder.decode(bytes, { stream: true });
        if (text) yield text;
        continue;
      }
      if (!follow || this.closed || signal.aborted) break;
      if (this.end > offset) continue;
      const heartbeat = new AbortController();
      const timer = setTimeout(() => heartbeat.abort(), heartbeatMs);
      await this.changed(AbortSignal.any([signal, heartbeat.signal]));
      clearTimeout(timer);
      if (heartbeat.signal.aborted) yield "";
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }

  /** Resolves at the next append, at close, or when `signal` aborts (then it leaves no trace). */
  changed(signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(done);
        if (index >= 0) this.#waiters.splice(index, 1);
        done();
      };
      this.#waiters.push(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Flushes and closes the file (it stays on disk); wakes every waiting reader. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#serialize(() => {
      this.#closed = true;
      this.#file.close();
      this.#notify();
      return Promise.resolve();
    });
  }
}
