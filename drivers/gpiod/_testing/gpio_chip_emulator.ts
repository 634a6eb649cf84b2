/**
 * An emulated GPIO chip behind the same five system calls as `/dev/gpiochipN` (no GPIO chip,
 * gpio-sim or configfs exists on these machines). It answers the v2 uAPI ioctls as the kernel's
 * gpiolib-cdev does: decodes the request structs byte by byte (with the layouts a test checks
 * against `<linux/gpio.h>`), validates them with the kernel's rules and errnos, keeps each
 * line's direction, flags and value, and queues edge events. The test plays the outside world:
 * it drives the level of a line (as gpio-sim's `pull`), reads what an output drives, and can
 * unplug the chip (then every call fails as on a removed device).
 */
import {
  CHIP_INFO_SIZE,
  encodeName,
  EventId,
  Field,
  Ioctl,
  ioctlSize,
  LINE_EVENT_SIZE,
  LineFlag,
} from "../uapi.ts";
import { errnoOf, type GpioSyscalls, type PollResult, SyscallError } from "../syscalls.ts";
import { allZero, decodeConfig, decodeRequest, fail } from "./gpio_uapi_kernel.ts";

/** One line of the chip. */
interface Line {
  name: string;
  /** Flags of its current request (0 when free). */
  flags: bigint;
  consumer: string;
  /** Logical output value while it is an output. */
  output: 0 | 1;
  /** Level the outside world puts on the line, if any (else the bias decides). */
  external: 0 | 1 | undefined;
  /** Last physical level seen, for edge detection. */
  level: 0 | 1;
  lineSeqno: number;
}

interface Request {
  fd: number;
  offsets: number[];
  events: Uint8Array[];
  bufferSize: number;
  seqno: number;
}

/** What the chip received in its last GET_LINE, decoded, for assertions. */
export interface ReceivedRequest {
  offsets: number[];
  consumer: string;
  flags: bigint;
  outputValue: 0 | 1;
}

/** Options of {@linkcode GpioChipEmulator}. */
export interface GpioChipOptions {
  /** Device node it answers at (default `/dev/gpiochip0`). */
  path?: string;
  /** Number of lines (default 32). */
  lines?: number;
  /** Chip label (default `gpio-sim.0-node0`). */
  label?: string;
  /** Line names by offset. */
  names?: Record<number, string>;
}

/** An emulated GPIO chip answering the GPIO system calls. */
export class GpioChipEmulator implements GpioSyscalls {
  readonly path: string;
  readonly label: string;
  readonly #lines: Line[];
  readonly #requests = new Map<number, Request>();
  readonly #chipFds = new Set<number>();
  readonly #pollers = new Set<() => void>();
  #onWaiting: (() => void)[] = [];
  #nextFd = 100;
  #gone = false;
  /** Every GET_LINE the chip accepted, in order. */
  readonly received: ReceivedRequest[] = [];

  constructor(options: GpioChipOptions = {}) {
    this.path = options.path ?? "/dev/gpiochip0";
    this.label = options.label ?? "gpio-sim.0-node0";
    this.#lines = Array.from({ length: options.lines ?? 32 }, (_, offset) => ({
      name: options.names?.[offset] ?? "",
      flags: 0n,
      consumer: "",
      output: 0,
      external: undefined,
      level: 0,
      lineSeqno: 0,
    }));
  }

  // --- the system calls ---

  open(path: string): number {
    if (path !== this.path || this.#gone) fail("open", "ENOENT");
    const fd = this.#nextFd++;
    this.#chipFds.add(fd);
    return fd;
  }

  ioctl(fd: number, request: number, arg: Uint8Array): void {
    if (ioctlSize(request) !== arg.byteLength) fail("ioctl", "EFAULT");
    if (this.#chipFds.has(fd)) return this.#chipIoctl(request, arg);
    const lineRequest = this.#requests.get(fd);
    if (!lineRequest) fail("ioctl", "EBADF");
    if (this.#gone) fail("ioctl", "ENODEV");
    this.#requestIoctl(lineRequest, request, arg);
  }

  read(fd: number, buffer: Uint8Array): number {
    const request = this.#requests.get(fd);
    if (!request) fail("read", "EBADF");
    if (this.#gone) fail("read", "ENODEV");
    if (buffer.byteLength < LINE_EVENT_SIZE) fail("read", "EINVAL");
    if (request.events.length === 0) fail("read", "EAGAIN");
    let size = 0;
    while (request.events.length > 0 && size + LINE_EVENT_SIZE <= buffer.byteLength) {
      buffer.set(request.events.shift()!, size);
      size += LINE_EVENT_SIZE;
    }
    return size;
  }

  poll(fd: number, timeoutMs: number): Promise<PollResult> {
    const request = this.#requests.get(fd);
    if (!request) return Promise.reject(new SyscallError("poll", errnoOf("EBADF")));
    const now = (): PollResult | undefined =>
      this.#gone ? "hangup" : request.events.length > 0 ? "readable" : undefined;
    const ready = now();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const wake = () => {
        const result = now();
        if (!result) return;
        clearTimeout(timer);
        this.#pollers.delete(wake);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.#pollers.delete(wake);
        resolve("timeout");
      }, timeoutMs);
      this.#pollers.add(wake);
      for (const notify of this.#onWaiting.splice(0)) notify();
    });
  }

  close(fd: number): void {
    if (this.#chipFds.delete(fd)) return;
    const request = this.#requests.get(fd);
    if (!request) fail("close", "EBADF");
    this.#requests.delete(fd);
    for (const offset of request.offsets) {
      const line = this.#lines[offset]!;
      line.flags = 0n;
      line.consumer = "";
    }
  }

  // --- what the outside world does ---

  /** Resolves when a poll is (or next is) blocked waiting for an event. */
  whenWaiting(): Promise<void> {
    if (this.#pollers.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.#onWaiting.push(resolve));
  }

  /** Puts `level` on a line from outside (gpio-sim's pull); inputs see it and report edges. */
  drive(offset: number, level: 0 | 1): void {
    this.#line(offset).external = level;
    this.#settle();
  }

  /** The physical level of a line: what an output drives, else the outside or the bias. */
  level(offset: number): 0 | 1 {
    return this.#physical(this.#line(offset));
  }

  /** Flags and consumer of a line's current request (flags 0 when free). */
  state(offset: number): { flags: bigint; consumer: string } {
    const line = this.#line(offset);
    return { flags: line.flags, consumer: line.consumer };
  }

  /** Removes the chip: calls fail with ENODEV, waits see a hangup, opening finds nothing. */
  unplug(): void {
    this.#gone = true;
    for (const wake of [...this.#pollers]) wake();
  }

  /** Puts the chip back (new opens work; requests made before stay dead, as in the kernel). */
  replug(): void {
    this.#gone = false;
    this.#requests.clear();
    for (const line of this.#lines) {
      line.flags = 0n;
      line.consumer = "";
    }
  }

  /** Open file descriptors (chip and requests): what a driver left open. */
  get openDescriptors(): number {
    return this.#chipFds.size + this.#requests.size;
  }

  // --- the kernel side ---

  #line(offset: number): Line {
    const line = this.#lines[offset];
    if (!line) throw new RangeError(`The emulated chip has no line ${offset}`);
    return line;
  }

  #physical(line: Line): 0 | 1 {
    const flags = line.flags;
    if (flags & LineFlag.OUTPUT) {
      const driven = (line.output ^ (flags & LineFlag.ACTIVE_LOW ? 1 : 0)) as 0 | 1;
      const floats = (flags & LineFlag.OPEN_DRAIN && driven === 1) ||
        (flags & LineFlag.OPEN_SOURCE && driven === 0);
      if (!floats) return driven;
    }
    if (line.external !== undefined) return line.external;
    if (flags & LineFlag.BIAS_PULL_UP) return 1;
    return 0;
  }

  /** Recomputes every line's level and queues the edges requested lines detect. */
  #settle(): void {
    for (const [offset, line] of this.#lines.entries()) {
      const level = this.#physical(line);
      if (level === line.level) continue;
      line.level = level;
      const request = [...this.#requests.values()].find((r) => r.offsets.includes(offset));
      if (!request || !(line.flags & LineFlag.INPUT)) continue;
      const logical = level ^ (line.flags & LineFlag.ACTIVE_LOW ? 1 : 0);
      const edge = logical === 1 ? LineFlag.EDGE_RISING : LineFlag.EDGE_FALLING;
      if (line.flags & edge) this.#queueEvent(request, offset, line, logical === 1);
    }
    for (const wake of [...this.#pollers]) wake();
  }

  #queueEvent(request: Request, offset: number, line: Line, rising: boolean): void {
    const event = new Uint8Array(LINE_EVENT_SIZE);
    const view = new DataView(event.buffer);
    const { lineEvent } = Field;
    view.setBigUint64(lineEvent.timestampNs, BigInt(Math.round(performance.now() * 1e6)), true);
    view.setUint32(lineEvent.id, rising ? EventId.RISING_EDGE : EventId.FALLING_EDGE, true);
    view.setUint32(lineEvent.offset, offset, true);
    view.setUint32(lineEvent.seqno, ++request.seqno, true);
    view.setUint32(lineEvent.lineSeqno, ++line.lineSeqno, true);
    // a full kfifo drops the oldest event
    if (request.events.length >= request.bufferSize) request.events.shift();
    request.events.push(event);
  }

  #chipIoctl(request: number, arg: Uint8Array): void {
    if (this.#gone) fail("ioctl", "ENODEV");
    const view = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
    switch (request) {
      case Ioctl.GET_CHIPINFO: {
        if (arg.byteLength !== CHIP_INFO_SIZE) fail("ioctl", "EFAULT");
        arg.set(encodeName(this.path.split("/").pop()!), Field.chipInfo.name);
        arg.set(encodeName(this.label), Field.chipInfo.label);
        view.setUint32(Field.chipInfo.lines, this.#lines.length, true);
        return;
      }
      case Ioctl.GET_LINEINFO:
        return this.#lineInfo(arg, view);
      case Ioctl.GET_LINE:
        return this.#requestLines(arg, view);
      default:
        fail("ioctl", "EINVAL");
    }
  }

  #lineInfo(arg: Uint8Array, view: DataView): void {
    const { lineInfo } = Field;
    const offset = view.getUint32(lineInfo.offset, true);
    if (!allZero(arg.subarray(lineInfo.padding))) fail("ioctl", "EINVAL");
    const line = this.#lines[offset];
    if (!line) fail("ioctl", "EINVAL");
    arg.fill(0);
    arg.set(encodeName(line.name), lineInfo.name);
    arg.set(encodeName(line.consumer), lineInfo.consumer);
    view.setUint32(lineInfo.offset, offset, true);
    view.setBigUint64(lineInfo.flags, line.flags ? line.flags | LineFlag.USED : 0n, true);
  }

  #requestLines(arg: Uint8Array, view: DataView): void {
    const { offsets, consumer, config, eventBufferSize } = decodeRequest(arg, this.#lines.length);
    if (offsets.some((offset) => this.#lines[offset]!.flags !== 0n)) fail("ioctl", "EBUSY");
    const fd = this.#nextFd++;
    this.#requests.set(fd, { fd, offsets, events: [], bufferSize: eventBufferSize, seqno: 0 });
    offsets.forEach((offset, index) => {
      const line = this.#lines[offset]!;
      line.consumer = consumer;
      this.#configure(line, config.flags[index]!, config.outputs[index]!);
      this.received.push({
        offsets,
        consumer,
        flags: config.flags[index]!,
        outputValue: config.outputs[index]!,
      });
    });
    view.setInt32(Field.lineRequest.fd, fd, true);
    this.#settleQuietly();
  }

  #configure(line: Line, flags: bigint, output: 0 | 1): void {
    line.flags = flags;
    if (flags & LineFlag.OUTPUT) line.output = output;
  }

  /** Levels after a (re)configuration: no edges are reported for the change itself. */
  #settleQuietly(): void {
    for (const line of this.#lines) line.level = this.#physical(line);
  }

  #requestIoctl(request: Request, ioctl: number, arg: Uint8Array): void {
    const view = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
    const lines = request.offsets.map((offset) => this.#lines[offset]!);
    const { lineValues } = Field;
    switch (ioctl) {
      case Ioctl.LINE_GET_VALUES: {
        const mask = view.getBigUint64(lineValues.mask, true);
        if (mask === 0n) fail("ioctl", "EINVAL");
        let bits = 0n;
        lines.forEach((line, index) => {
          const active = this.#physical(line) ^ (line.flags & LineFlag.ACTIVE_LOW ? 1 : 0);
          if (mask & (1n << BigInt(index)) && active) bits |= 1n << BigInt(index);
        });
        view.setBigUint64(lineValues.bits, bits, true);
        return;
      }
      case Ioctl.LINE_SET_VALUES: {
        const mask = view.getBigUint64(lineValues.mask, true);
        const bits = view.getBigUint64(lineValues.bits, true);
        if (mask === 0n) fail("ioctl", "EINVAL");
        lines.forEach((line, index) => {
          if (!(mask & (1n << BigInt(index)))) return;
          if (!(line.flags & LineFlag.OUTPUT)) fail("ioctl", "EPERM");
          line.output = bits & (1n << BigInt(index)) ? 1 : 0;
        });
        this.#settle();
        return;
      }
      case Ioctl.LINE_SET_CONFIG: {
        const config = decodeConfig(arg, 0, lines.length);
        lines.forEach((line, index) =>
          this.#configure(line, config.flags[index]!, config.outputs[index]!)
        );
        this.#settleQuietly();
        return;
      }
      default:
        fail("ioctl", "EINVAL");
    }
  }
}
