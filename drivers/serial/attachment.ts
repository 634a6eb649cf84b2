/**
 * The byte stream of the one client attached to a port: device output is delivered into its
 * readable with backpressure (the driver stops reading the device while the client is behind),
 * and its writable goes to the device. Closing the writable (the client's end of input, e.g.
 * `j serial pipe` after stdin ended) only stops input: output keeps flowing until the client
 * cancels its reading side or leaves, as upstream's serial stream does.
 */

const READ_BUFFER = 64 * 1024;

/** How an attachment reaches the device and reports that it ended. */
export interface AttachmentHooks {
  write(chunk: Uint8Array): Promise<void>;
  /** The client is gone (closed its side, cancelled, or the stream failed). */
  ended(attachment: Attachment): void;
}

/** One client's stream on the port. */
export class Attachment {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #room: (() => void) | undefined;
  #done = false;
  #inputClosed = false;
  readonly #ended = Promise.withResolvers<void>();
  readonly #hooks: AttachmentHooks;

  constructor(hooks: AttachmentHooks) {
    this.#hooks = hooks;
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
        await hooks.write(chunk);
      },
      close: () => {
        this.#inputClosed = true;
      },
      abort: () => this.end(),
    });
  }

  get done(): boolean {
    return this.#done;
  }

  /** Whether the client has ended its input (it may still be reading output). */
  get inputClosed(): boolean {
    return this.#inputClosed;
  }

  /** Settles when the stream has ended, however it ended. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  #wake(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  /** Hands device output to the client; resolves once there is room for more. */
  async deliver(chunk: Uint8Array): Promise<void> {
    if (this.#done) return;
    this.#controller.enqueue(chunk);
    while (!this.#done && (this.#controller.desiredSize ?? 0) <= 0) {
      await new Promise<void>((resolve) => this.#room = resolve);
    }
  }

  /** Ends the stream cleanly (output already delivered is still read). */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#controller.close();
    } catch {
      // already closed or errored by the reader
    }
    this.#wake();
    this.#hooks.ended(this);
    this.#ended.resolve();
  }

  /** Ends the stream with `error` (the client's read fails with it). */
  fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.error(error);
    this.#wake();
    this.#hooks.ended(this);
    this.#ended.resolve();
  }
}
