/**
 * One client's byte stream on the console: guest output is delivered into its readable with
 * backpressure, and what it writes goes to the guest.
 */

const READ_BUFFER = 64 * 1024;

export class ConsoleAttachment {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #room: (() => void) | undefined;
  #done = false;
  readonly #ended = Promise.withResolvers<void>();

  /**
   * @param write sends the client's bytes to the guest.
   * @param onEnd is called once when the stream ends, however it ends.
   */
  constructor(write: (chunk: Uint8Array) => Promise<void>, onEnd: () => void) {
    this.#ended.promise.then(onEnd);
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => this.#wake(),
      cancel: () => this.end(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: READ_BUFFER }));
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (this.#done) throw new Error("the console stream has ended");
        await write(chunk);
      },
      // a console has no "rest of the output": the client closing its side ends the stream
      close: () => this.end(),
      abort: () => this.end(),
    });
  }

  get done(): boolean {
    return this.#done;
  }

  #wake(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  /** Hands guest output to the client; resolves once there is room for more. */
  async deliver(chunk: Uint8Array): Promise<void> {
    if (this.#done) return;
    this.#controller.enqueue(chunk);
    while (!this.#done && (this.#controller.desiredSize ?? 0) <= 0) {
      await new Promise<void>((resolve) => this.#room = resolve);
    }
  }

  /** Ends the stream cleanly; output already delivered can still be read. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#controller.close();
    } catch {
      // the reader cancelled it already
    }
    this.#wake();
    this.#ended.resolve();
  }
}
