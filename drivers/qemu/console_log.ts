/**
 * The console output of a session, kept in memory up to a bound (the oldest bytes are dropped).
 * Readers address bytes by absolute offset since the session started, so they keep their place
 * when old bytes go.
 */

/** Default bound: 1 MiB of the newest output. */
export const DEFAULT_LOG_BYTES = 1024 * 1024;

export class MemoryLog {
  readonly maxBytes: number;
  #chunks: Uint8Array[] = [];
  /** Absolute offset of the first byte of `#chunks[0]`. */
  #start = 0;
  #size = 0;
  #closed = false;
  #waiters: (() => void)[] = [];

  constructor(maxBytes = DEFAULT_LOG_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Absolute offset of the oldest byte kept. */
  get start(): number {
    return this.#start;
  }

  /** Absolute offset just past the newest byte. */
  get end(): number {
    return this.#start + this.#size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  append(chunk: Uint8Array): void {
    if (this.#closed || chunk.byteLength === 0) return;
    this.#chunks.push(chunk.slice());
    this.#size += chunk.byteLength;
    while (this.#size > this.maxBytes) {
      const first = this.#chunks[0]!;
      const excess = this.#size - this.maxBytes;
      if (first.byteLength <= excess) {
        this.#chunks.shift();
        this.#start += first.byteLength;
        this.#size -= first.byteLength;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#start += excess;
        this.#size -= excess;
      }
    }
    this.#wake();
  }

  /** The bytes from absolute `offset` (moved up to `start` if they were dropped) to the end. */
  read(offset: number): { offset: number; bytes: Uint8Array } {
    const from = Math.max(offset, this.#start);
    const bytes = new Uint8Array(Math.max(0, this.end - from));
    let position = this.#start;
    let filled = 0;
    for (const chunk of this.#chunks) {
      const chunkEnd = position + chunk.byteLength;
      if (chunkEnd > from) {
        const part = chunk.subarray(Math.max(0, from - position));
        bytes.set(part, filled);
        filled += part.byteLength;
      }
      position = chunkEnd;
    }
    return { offset: from, bytes };
  }

  /** Everything kept, as text. */
  text(): string {
    return new TextDecoder().decode(this.read(0).bytes);
  }

  /** Resolves at the next append, at close, or when `signal` aborts. */
  changed(signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Stops taking output and wakes every reader. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }
}
