/**
 * What the CAN drivers need of a bus backend (python-can's `BusABC`, reduced): send a frame,
 * receive one within a time limit, close. Received frames queue until read.
 */
import { type CanFrame, checkFrame } from "./message.ts";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";

export interface CanBus {
  /** `channel_info` as python-can prints it. */
  readonly channelInfo: string;
  readonly fd: boolean;
  send(frame: CanFrame): Promise<void>;
  /** The next frame, or undefined once `timeoutMs` passes (null: wait without limit). */
  recv(timeoutMs: number | null): Promise<CanFrame | undefined>;
  /** Drops the frames received and not read yet. */
  flush(): void;
  close(): void;
}

/** A bus that has been shut down or whose backend failed: every call says so. */
export class BusClosedError extends DriverError {
  constructor(channelInfo: string) {
    super(`CAN bus ${channelInfo} is shut down`);
    this.name = "BusClosedError";
  }
}

/** The receive queue and closing logic every backend shares. */
export abstract class QueuedBus implements CanBus {
  abstract readonly channelInfo: string;
  readonly fd: boolean;
  readonly #frames: CanFrame[] = [];
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(fd: boolean) {
    this.fd = fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  protected abstract transmit(frame: CanFrame): Promise<void>;
  protected abstract release(): void;

  async send(frame: CanFrame): Promise<void> {
    if (this.#closed) throw new BusClosedError(this.channelInfo);
    const problem = checkFrame(frame);
    if (problem !== undefined) {
      throw new InvalidArgumentError(`Cannot send on ${this.channelInfo}: ${problem}`);
    }
    if (frame.isFd && !this.fd) {
      throw new InvalidArgumentError(
        `Cannot send a CAN FD frame on ${this.channelInfo}: FD is off`,
      );
    }
    await this.transmit(frame);
  }

  /** Backends call this with each frame that arrives. */
  protected deliver(frame: CanFrame): void {
    if (this.#closed || (frame.isFd && !this.fd)) return;
    this.#frames.push(frame);
    for (const wake of this.#waiters) wake();
  }

  async recv(timeoutMs: number | null): Promise<CanFrame | undefined> {
    const deadline = timeoutMs === null ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new BusClosedError(this.channelInfo);
      const frame = this.#frames.shift();
      if (frame !== undefined) return frame;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = left === Infinity ? undefined : setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  flush(): void {
    this.#frames.length = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
    for (const wake of this.#waiters) wake();
  }
}
