/**
 * An ISO-TP (ISO 15765-2) transport over a CanBus, normal addressing: single frames, first frames
 * (with the escape for payloads over 4095 bytes), consecutive frames and flow control (block size,
 * STmin, wait frames up to `wftmax`, overflow), timeouts as `IsoTpParams` configures them.
 */
import { DriverError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import type { CanBus } from "./bus.ts";
import { type CanFrame, canFrame } from "./message.ts";
import type { IsoTpParams } from "./isotp_params.ts";

const SINGLE = 0;
const FIRST = 1;
const CONSECUTIVE = 2;
const FLOW = 3;
const CONTINUE = 0;
const WAIT = 1;
const OVERFLOW = 2;

const FD_LENGTHS = [12, 16, 20, 24, 32, 48, 64];

/** STmin as sent in a flow control frame, in milliseconds (reserved values mean 127 ms). */
export function stminMs(byte: number): number {
  if (byte <= 0x7f) return byte;
  if (byte >= 0xf1 && byte <= 0xf9) return (byte - 0xf0) / 10;
  return 0x7f;
}

interface Reception {
  length: number;
  data: Uint8Array;
  received: number;
  sequence: number;
  block: number;
  timer: ReturnType<typeof setTimeout>;
}

export interface IsoTpIds {
  txid: number;
  rxid: number;
  extended: boolean;
}

export class IsoTpStack {
  readonly #bus: CanBus;
  readonly #params: IsoTpParams;
  #ids: IsoTpIds;
  readonly #payloads: Uint8Array[] = [];
  readonly #payloadWaiters = new Set<() => void>();
  /** Flow control frames received while sending and not yet acted on. */
  readonly #flowFrames: Uint8Array[] = [];
  #flowWaiter: (() => void) | undefined;
  #reception: Reception | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #sending: AbortController | undefined;
  /** A failure of the receiving side (a timeout, a bus error), reported once by `recv`. */
  #error: Error | undefined;

  constructor(bus: CanBus, ids: IsoTpIds, params: IsoTpParams) {
    this.#bus = bus;
    this.#ids = ids;
    this.#params = params;
  }

  setIds(ids: IsoTpIds): void {
    this.#ids = ids;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#receiveLoop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.stopSending();
    this.stopReceiving();
    await this.#loop;
  }

  available(): boolean {
    return this.#payloads.length > 0;
  }

  transmitting(): boolean {
    return this.#sending !== undefined;
  }

  stopSending(): void {
    this.#sending?.abort(new DriverError("ISO-TP transmission stopped"));
  }

  stopReceiving(): void {
    if (this.#reception) clearTimeout(this.#reception.timer);
    this.#reception = undefined;
  }

  /** The next payload; without `block`, only one already received. Null when none came. */
  async recv(block: boolean, timeoutS: number | null): Promise<Uint8Array | null> {
    const deadline = !block ? 0 : timeoutS === null ? Infinity : Date.now() + timeoutS * 1000;
    for (;;) {
      const payload = this.#payloads.shift();
      if (payload !== undefined) return payload;
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#error = undefined;
        throw error;
      }
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#payloadWaiters.delete(wake);
          resolve();
        };
        const timer = left === Infinity ? undefined : setTimeout(wake, left);
        this.#payloadWaiters.add(wake);
      });
    }
  }

  /** Sends one payload, segmented and paced as the receiver's flow control asks. */
  async send(payload: Uint8Array, timeoutS: number | null = null): Promise<void> {
    if (!this.#running) throw new DriverError("ISO-TP stack is not started: call start() first");
    if (this.#sending) throw new DriverError("ISO-TP is already transmitting a payload");
    const controller = new AbortController();
    this.#sending = controller;
    const timer = timeoutS === null ? undefined : setTimeout(
      () =>
        controller.abort(
          new DriverTimeoutError(`ISO-TP send of ${payload.length} bytes took over ${timeoutS} s`),
        ),
      timeoutS * 1000,
    );
    this.#flowFrames.length = 0;
    try {
      await this.#segment(payload, controller.signal);
    } finally {
      clearTimeout(timer);
      this.#sending = undefined;
    }
  }

  async #segment(payload: Uint8Array, signal: AbortSignal): Promise<void> {
    const width = this.#params.tx_data_length;
    if (payload.length <= Math.min(7, width - 1)) {
      await this.#transmit([SINGLE << 4 | payload.length, ...payload]);
      return;
    }
    if (payload.length <= width - 2) {
      // CAN FD single frame: the length moves to the second byte
      await this.#transmit([SINGLE << 4, payload.length, ...payload]);
      return;
    }
    const header = payload.length <= 0xfff
      ? [FIRST << 4 | payload.length >> 8, payload.length & 0xff]
      : [FIRST << 4, 0, ...[24, 16, 8, 0].map((shift) => payload.length >>> shift & 0xff)];
    let offset = width - header.length;
    await this.#transmit([...header, ...payload.subarray(0, offset)]);
    let sequence = 1;
    while (offset < payload.length) {
      const { blockSize, separationMs } = await this.#awaitClearToSend(payload.length, signal);
      for (let sent = 0; offset < payload.length && (blockSize === 0 || sent < blockSize); sent++) {
        if (sent > 0 && separationMs > 0) await delay(separationMs, signal);
        signal.throwIfAborted();
        const chunk = payload.subarray(offset, offset + width - 1);
        await this.#transmit([CONSECUTIVE << 4 | sequence, ...chunk]);
        offset += chunk.length;
        sequence = (sequence + 1) & 0xf;
      }
      if (offset < payload.length && separationMs > 0) await delay(separationMs, signal);
    }
  }

  async #awaitClearToSend(length: number, signal: AbortSignal) {
    const timeoutMs = this.#params.rx_flowcontrol_timeout;
    for (let waits = 0;; waits++) {
      const frame = this.#flowFrames.shift() ?? await new Promise<Uint8Array>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", aborted);
          this.#flowWaiter = undefined;
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new DriverTimeoutError(
              `ISO-TP receiver 0x${this.#ids.rxid.toString(16)} sent no flow control within ` +
                `${timeoutMs} ms (sending ${length} bytes)`,
            ),
          );
        }, timeoutMs);
        const aborted = () => {
          done();
          reject(signal.reason);
        };
        signal.addEventListener("abort", aborted, { once: true });
        this.#flowWaiter = () => {
          done();
          resolve(this.#flowFrames.shift()!);
        };
      });
      const status = frame[0]! & 0xf;
      if (status === CONTINUE) {
        const override = this.#params.override_receiver_stmin;
        return {
          blockSize: frame[1] ?? 0,
          separationMs: override === null ? stminMs(frame[2] ?? 0) : override * 1000,
        };
      }
      if (status === OVERFLOW) {
        throw new DriverError(
          `ISO-TP receiver 0x${this.#ids.rxid.toString(16)} reported overflow: a ${length}-byte ` +
            "payload is larger than it accepts",
        );
      }
      if (status !== WAIT) {
        throw new DriverError(`ISO-TP flow control with invalid status ${status}`);
      }
      if (waits >= this.#params.wftmax) {
        throw new DriverError(
          `ISO-TP receiver sent more wait frames than wftmax (${this.#params.wftmax})`,
        );
      }
    }
  }

  async #transmit(bytes: number[]): Promise<void> {
    const padding = this.#params.tx_padding;
    const minimum = padding === null
      ? this.#params.tx_data_min_length ?? 0
      : this.#params.tx_data_length;
    while (bytes.length < minimum) bytes.push(padding ?? 0xcc);
    // a CAN FD frame holds 0-8, 12, 16, 20, 24, 32, 48 or 64 bytes: pad up to the next of them
    while (bytes.length > 8 && !FD_LENGTHS.includes(bytes.length)) bytes.push(padding ?? 0xcc);
    await this.#bus.send(this.#frame(bytes));
  }

  #frame(bytes: number[]): CanFrame {
    return canFrame({
      arbitrationId: this.#ids.txid,
      isExtendedId: this.#ids.extended,
      data: new Uint8Array(bytes),
      isFd: this.#params.can_fd,
      bitrateSwitch: this.#params.bitrate_switch,
      isRx: false,
    });
  }

  async #receiveLoop(): Promise<void> {
    while (this.#running) {
      let frame: CanFrame | undefined;
      try {
        frame = await this.#bus.recv(50);
      } catch (error) {
        this.#fail(error as Error);
        this.#running = false;
        return;
      }
      if (frame === undefined) continue;
      if (frame.arbitrationId !== this.#ids.rxid || frame.isExtendedId !== this.#ids.extended) {
        continue;
      }
      try {
        await this.#handle(frame.data);
      } catch (error) {
        this.#fail(error as Error);
      }
    }
  }

  async #handle(data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    const type = data[0]! >> 4;
    if (type === FLOW) {
      if (this.#sending === undefined) return;
      this.#flowFrames.push(data);
      this.#flowWaiter?.();
    } else if (type === SINGLE) {
      this.stopReceiving();
      const length = (data[0]! & 0xf) || (data[1] ?? 0);
      const start = (data[0]! & 0xf) === 0 ? 2 : 1;
      this.#deliver(data.slice(start, start + length));
    } else if (type === FIRST) {
      this.stopReceiving();
      let length = (data[0]! & 0xf) << 8 | (data[1] ?? 0);
      let start = 2;
      if (length === 0) {
        length = new DataView(data.buffer, data.byteOffset + 2, 4).getUint32(0);
        start = 6;
      }
      if (length > this.#params.max_frame_size) {
        await this.#flowControl(OVERFLOW);
        this.#fail(
          new DriverError(
            `ISO-TP sender announced ${length} bytes, more than max_frame_size ` +
              `${this.#params.max_frame_size}; answered overflow`,
          ),
        );
        return;
      }
      const first = data.subarray(start);
      const buffer = new Uint8Array(length);
      buffer.set(first.subarray(0, length));
      this.#reception = {
        length,
        data: buffer,
        received: first.length,
        sequence: 1,
        block: 0,
        timer: this.#consecutiveTimer(),
      };
      await this.#flowControl(CONTINUE);
    } else if (type === CONSECUTIVE) {
      const reception = this.#reception;
      if (reception === undefined) return;
      clearTimeout(reception.timer);
      if ((data[0]! & 0xf) !== reception.sequence) {
        this.stopReceiving();
        throw new DriverError(
          `ISO-TP consecutive frame out of sequence: expected ${reception.sequence}, got ` +
            `${data[0]! & 0xf}; payload dropped`,
        );
      }
      const chunk = data.subarray(1, 1 + reception.length - reception.received);
      reception.data.set(chunk, reception.received);
      reception.received += chunk.length;
      reception.sequence = (reception.sequence + 1) & 0xf;
      if (reception.received >= reception.length) {
        this.#reception = undefined;
        this.#deliver(reception.data);
        return;
      }
      reception.timer = this.#consecutiveTimer();
      reception.block++;
      if (this.#params.blocksize > 0 && reception.block === this.#params.blocksize) {
        reception.block = 0;
        await this.#flowControl(CONTINUE);
      }
    }
  }

  #consecutiveTimer(): ReturnType<typeof setTimeout> {
    const ms = this.#params.rx_consecutive_frame_timeout;
    return setTimeout(() => {
      const reception = this.#reception;
      this.#reception = undefined;
      this.#fail(
        new DriverTimeoutError(
          `ISO-TP reception timed out: no consecutive frame within ${ms} ms after ` +
            `${reception?.received} of ${reception?.length} bytes`,
        ),
      );
    }, ms);
  }

  async #flowControl(status: number): Promise<void> {
    await this.#transmit([FLOW << 4 | status, this.#params.blocksize, this.#params.stmin]);
  }

  #deliver(payload: Uint8Array): void {
    this.#payloads.push(payload);
    for (const wake of this.#payloadWaiters) wake();
  }

  #fail(error: Error): void {
    this.#error = error;
    for (const wake of this.#payloadWaiters) wake();
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", aborted);
      resolve();
    }, ms);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", aborted, { once: true });
  });
}
