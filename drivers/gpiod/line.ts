/**
 * One requested GPIO line, as upstream holds it through libgpiod: the chip opened, the line's
 * info read, the line requested with its settings; then values read and set and edge events
 * waited for. Every failure is a `DriverError` naming the chip, the line and the errno.
 */
import { DriverError } from "@jumpstarter/lib/wire";
import { type GpioSyscalls, SyscallError } from "./syscalls.ts";
import {
  CHIP_INFO_SIZE,
  type ChipInfo,
  decodeChipInfo,
  decodeEvents,
  decodeLineInfo,
  decodeValue,
  encodeLineConfig,
  encodeLineInfoQuery,
  encodeLineRequest,
  encodeValues,
  Ioctl,
  LINE_EVENT_SIZE,
  type LineEvent,
  type LineSettings,
  requestFd,
} from "./uapi.ts";

/** The consumer name upstream's driver requests its lines with. */
export const CONSUMER = "jumpstarter-gpiod";

// A wait polls in slices so that releasing the line never waits long for a poll in flight.
const POLL_SLICE_MS = 250;
// Events read per read(): the kernel's default buffer for one line is 16 events.
const EVENTS_PER_READ = 16;

function reason(error: unknown): string {
  if (!(error instanceof SyscallError)) return (error as Error).message;
  if (error.code === "ENODEV") return `${error.message}: the GPIO chip is gone`;
  if (error.code === "EACCES" || error.code === "EPERM") {
    return `${error.message}: the exporter needs read-write access to the chip's device node`;
  }
  return error.message;
}

/** Where a requested line lives. */
export interface LineAddress {
  /** The chip's device node, e.g. `/dev/gpiochip0`. */
  device: string;
  /** The line's offset on the chip. */
  line: number;
}

/** A line requested from a GPIO chip, released by `close()`. */
export class GpioLine {
  readonly #sys: GpioSyscalls;
  readonly #where: string;
  readonly #chipFd: number;
  readonly #fd: number;
  /** The chip as `GET_CHIPINFO` described it. */
  readonly chip: ChipInfo;
  /** The line's name on the chip (empty when it has none). */
  readonly name: string;
  #closed = false;
  #polling: Promise<unknown> = Promise.resolve();
  #turn: Promise<void> = Promise.resolve();

  /**
   * Opens the chip and requests the line with `settings`, as upstream does when its driver is
   * created.
   *
   * @throws {DriverError} when the chip cannot be opened, is no GPIO chip, has no such line, or
   *   the request is refused (busy, invalid settings).
   */
  constructor(sys: GpioSyscalls, address: LineAddress, settings: LineSettings) {
    this.#sys = sys;
    const { device, line } = address;
    this.#where = `line ${line} of ${device}`;
    let chipFd: number;
    try {
      chipFd = sys.open(device);
    } catch (error) {
      throw new DriverError(
        `Cannot open GPIO chip ${device}: ${reason(error)}`,
      );
    }
    try {
      this.chip = this.#chipInfo(chipFd, device);
      if (line >= this.chip.lines) {
        throw new DriverError(
          `Cannot request ${this.#where}: the chip (${this.chip.label || this.chip.name}, ` +
            `${this.chip.lines} lines) has no line ${line}`,
        );
      }
      const info = this.#lineInfo(chipFd, line);
      this.name = info.name;
      const request = encodeLineRequest(line, CONSUMER, settings);
      try {
        sys.ioctl(chipFd, Ioctl.GET_LINE, request);
      } catch (error) {
        const holder = error instanceof SyscallError && error.code === "EBUSY" &&
            info.consumer
          ? ` (held by "${info.consumer}")`
          : "";
        throw new DriverError(
          `Cannot request ${this.#where}: ${reason(error)}${holder}`,
        );
      }
      this.#fd = requestFd(request);
    } catch (error) {
      try {
        sys.close(chipFd);
      } catch {
        // the error that stopped the request is the one to report
      }
      throw error;
    }
    this.#chipFd = chipFd;
  }

  #chipInfo(fd: number, device: string): ChipInfo {
    const info = new Uint8Array(CHIP_INFO_SIZE);
    try {
      this.#sys.ioctl(fd, Ioctl.GET_CHIPINFO, info);
    } catch (error) {
      if (error instanceof SyscallError && error.code === "ENOTTY") {
        throw new DriverError(
          `Cannot open GPIO chip ${device}: not a GPIO character device`,
        );
      }
      throw new DriverError(
        `Cannot open GPIO chip ${device}: ${reason(error)}`,
      );
    }
    return decodeChipInfo(info);
  }

  #lineInfo(fd: number, line: number) {
    const info = encodeLineInfoQuery(line);
    try {
      this.#sys.ioctl(fd, Ioctl.GET_LINEINFO, info);
    } catch (error) {
      throw new DriverError(
        `Cannot read the info of ${this.#where}: ${reason(error)}`,
      );
    }
    return decodeLineInfo(info);
  }

  #ioctl(action: string, request: number, arg: Uint8Array): void {
    if (this.#closed) {
      throw new DriverError(`Cannot ${action} ${this.#where}: it was released`);
    }
    try {
      this.#sys.ioctl(this.#fd, request, arg);
    } catch (error) {
      throw new DriverError(
        `Cannot ${action} ${this.#where}: ${reason(error)}`,
      );
    }
  }

  /** The line's logical value (1 = active, active-low applied by the kernel). */
  value(): 0 | 1 {
    const values = encodeValues();
    this.#ioctl("read", Ioctl.LINE_GET_VALUES, values);
    return decodeValue(values);
  }

  /** Sets an output's logical value. */
  setValue(value: 0 | 1): void {
    this.#ioctl("set", Ioctl.LINE_SET_VALUES, encodeValues(value));
  }

  /** Changes the line's settings in place (e.g. from input to output). */
  reconfigure(settings: LineSettings): void {
    this.#ioctl(
      "reconfigure",
      Ioctl.LINE_SET_CONFIG,
      encodeLineConfig(settings),
    );
  }

  /**
   * Waits until an edge of kind `edge` is read, events already queued included (as upstream
   * reads them); other events read meanwhile are dropped. One wait at a time per line: a second
   * one waits its turn.
   *
   * @param deadline `performance.now()` time to give up at; undefined waits for ever.
   * @returns false when the deadline passed first.
   */
  waitForEdge(
    edge: LineEvent["edge"],
    deadline: number | undefined,
  ): Promise<boolean> {
    const previous = this.#turn;
    const { promise: done, resolve } = Promise.withResolvers<void>();
    this.#turn = done;
    return previous.then(() => this.#waitForEdge(edge, deadline)).finally(
      resolve,
    );
  }

  async #waitForEdge(
    edge: LineEvent["edge"],
    deadline: number | undefined,
  ): Promise<boolean> {
    for (;;) {
      if (this.#closed) {
        throw new DriverError(`Cannot wait on ${this.#where}: it was released`);
      }
      const remaining = deadline === undefined ? POLL_SLICE_MS : deadline - performance.now();
      if (remaining <= 0) return false;
      const polling = this.#sys.poll(
        this.#fd,
        Math.min(remaining, POLL_SLICE_MS),
      );
      this.#polling = polling.catch(() => {});
      let result;
      try {
        result = await polling;
      } catch (error) {
        throw new DriverError(
          `Cannot wait on ${this.#where}: ${reason(error)}`,
        );
      }
      if (result === "hangup") {
        throw new DriverError(
          `Cannot wait on ${this.#where}: the GPIO chip is gone`,
        );
      }
      if (
        result === "readable" &&
        this.#readEvents().some((event) => event.edge === edge)
      ) {
        return true;
      }
    }
  }

  #readEvents(): LineEvent[] {
    if (this.#closed) return [];
    const buffer = new Uint8Array(LINE_EVENT_SIZE * EVENTS_PER_READ);
    let size: number;
    try {
      size = this.#sys.read(this.#fd, buffer);
    } catch (error) {
      // readiness without an event (another reader was first): nothing to read yet
      if (error instanceof SyscallError && error.code === "EAGAIN") return [];
      throw new DriverError(`Cannot read the events of ${this.#where}: ${reason(error)}`);
    }
    return decodeEvents(buffer.subarray(0, size));
  }

  /** Releases the line and closes the chip (after a poll in flight has returned). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#polling;
    for (const fd of [this.#fd, this.#chipFd]) {
      try {
        this.#sys.close(fd);
      } catch {
        // a gone chip may refuse; the descriptor is released either way
      }
    }
  }
}
