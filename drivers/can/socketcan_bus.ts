/**
 * python-can's `socketcan` interface: a raw AF_CAN socket on a Linux CAN network interface
 * (can0, vcan0...), through libc, classic CAN frames (16-byte `struct can_frame`). Where the kernel
 * has no CAN support, opening fails with the kernel's own reason, in one line.
 */
import { ConnectionError } from "@jumpstarter/lib/wire";
import type { CanFrame } from "./message.ts";
import { QueuedBus } from "./bus.ts";

const AF_CAN = 29;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const CAN_RAW = 1;
const EAGAIN = 11;
const POLLIN = 0x1;
const POLLOUT = 0x4;
const CAN_EFF_FLAG = 0x80000000;
const CAN_RTR_FLAG = 0x40000000;
const CAN_ERR_FLAG = 0x20000000;
/** sizeof(struct can_frame) and sizeof(struct sockaddr_can) on Linux. */
export const CAN_FRAME_SIZE = 16;
const SOCKADDR_CAN_SIZE = 24;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  "if_nametoindex": { parameters: ["buffer"], result: "u32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  // on a worker thread: waiting for frames never blocks the event loop
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  "__errno_location": { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let libc: Libc | undefined;

function loadLibc(): Libc {
  if (Deno.build.os !== "linux") throw new Error(`SocketCAN is Linux only, not ${Deno.build.os}`);
  libc ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  return libc;
}

/** libc's description of the errno the last failed call left, e.g. "Network is down". */
function lastError(c: Libc): string {
  const code = new Deno.UnsafePointerView(c.__errno_location()!).getInt32();
  return Deno.UnsafePointerView.getCString(c.strerror(code)!);
}

function errnoOf(c: Libc): number {
  return new Deno.UnsafePointerView(c.__errno_location()!).getInt32();
}

/** A frame as the kernel's `struct can_frame`. */
export function encodeCanFrame(frame: CanFrame): Uint8Array {
  const bytes = new Uint8Array(CAN_FRAME_SIZE);
  const view = new DataView(bytes.buffer);
  let id = frame.arbitrationId;
  if (frame.isExtendedId) id |= CAN_EFF_FLAG;
  if (frame.isRemoteFrame) id |= CAN_RTR_FLAG;
  if (frame.isErrorFrame) id |= CAN_ERR_FLAG;
  view.setUint32(0, id >>> 0, true);
  bytes[4] = frame.isRemoteFrame ? frame.dlc : frame.data.length;
  bytes.set(frame.data.subarray(0, 8), 8);
  return bytes;
}

/** A `struct can_frame` read from the kernel. */
export function decodeCanFrame(bytes: Uint8Array, channel: string): CanFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = view.getUint32(0, true);
  const extended = (raw & CAN_EFF_FLAG) !== 0;
  const remote = (raw & CAN_RTR_FLAG) !== 0;
  const length = Math.min(bytes[4]!, 8);
  return {
    timestamp: Date.now() / 1000,
    arbitrationId: raw & (extended ? 0x1fffffff : 0x7ff),
    isExtendedId: extended,
    isRemoteFrame: remote,
    isErrorFrame: (raw & CAN_ERR_FLAG) !== 0,
    channel,
    dlc: length,
    data: remote ? new Uint8Array() : bytes.slice(8, 8 + length),
    isFd: false,
    isRx: true,
    bitrateSwitch: false,
    errorStateIndicator: false,
  };
}

export class SocketCanBus extends QueuedBus {
  readonly channel: string;
  readonly channelInfo: string;
  readonly #fd: number;
  readonly #libc: Libc;
  readonly #loop: Promise<void>;

  private constructor(channel: string, fd: number, c: Libc) {
    super(false);
    this.channel = channel;
    this.channelInfo = `socketcan channel '${channel}'`;
    this.#fd = fd;
    this.#libc = c;
    this.#loop = this.#receive();
  }

  /** Opens a raw CAN socket bound to `channel`; fails with the kernel's reason. */
  static open(channel: string | number | null): SocketCanBus {
    const name = channel === null ? "can0" : String(channel);
    const fail = (why: string) =>
      new ConnectionError(`Cannot open SocketCAN channel ${name}: ${why}`);
    let c: Libc;
    try {
      c = loadLibc();
    } catch (error) {
      throw fail((error as Error).message);
    }
    const fd = c.socket(AF_CAN, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, CAN_RAW);
    if (fd < 0) throw fail(`socket(AF_CAN): ${lastError(c)}`);
    const index = c.if_nametoindex(new TextEncoder().encode(`${name}\0`));
    if (index === 0) {
      c.close(fd);
      throw fail(`no network interface "${name}" on this host`);
    }
    const address = new Uint8Array(SOCKADDR_CAN_SIZE);
    const view = new DataView(address.buffer);
    view.setUint16(0, AF_CAN, true);
    view.setInt32(4, index, true);
    if (c.bind(fd, address, SOCKADDR_CAN_SIZE) < 0) {
      const why = lastError(c);
      c.close(fd);
      throw fail(`bind: ${why}`);
    }
    return new SocketCanBus(name, fd, c);
  }

  protected async transmit(frame: CanFrame): Promise<void> {
    const bytes = encodeCanFrame(frame);
    for (let attempt = 0;; attempt++) {
      if (this.#libc.write(this.#fd, bytes, BigInt(CAN_FRAME_SIZE)) === BigInt(CAN_FRAME_SIZE)) {
        return;
      }
      const code = errnoOf(this.#libc);
      if (code !== EAGAIN || attempt >= 10) {
        throw new ConnectionError(`Cannot send on ${this.channelInfo}: ${lastError(this.#libc)}`);
      }
      await this.#poll(POLLOUT, 100);
    }
  }

  async #poll(events: number, timeoutMs: number): Promise<number> {
    const pollfd = new Uint8Array(8);
    const view = new DataView(pollfd.buffer);
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, events, true);
    const ready = await this.#libc.poll(pollfd, 1n, timeoutMs);
    return ready > 0 ? view.getInt16(6, true) : 0;
  }

  async #receive(): Promise<void> {
    const buffer = new Uint8Array(CAN_FRAME_SIZE);
    while (!this.closed) {
      const revents = await this.#poll(POLLIN, 100);
      if (this.closed || revents === 0) continue;
      const count = this.#libc.read(this.#fd, buffer, BigInt(CAN_FRAME_SIZE));
      if (count === BigInt(CAN_FRAME_SIZE)) {
        this.deliver(decodeCanFrame(buffer, this.channel));
      } else if (count < 0n && errnoOf(this.#libc) !== EAGAIN) {
        // the interface went away (ENETDOWN, ENODEV): the bus is gone
        this.close();
      }
    }
  }

  protected release(): void {
    // the receive loop notices within one poll period; close the socket after it stops
    void this.#loop.finally(() => this.#libc.close(this.#fd));
  }
}

const SOCK_DGRAM = 2;
const CAN_ISOTP = 6;

/**
 * Whether this kernel opens a kernel ISO-TP socket (AF_CAN, CAN_ISOTP): undefined when it does,
 * else the reason, e.g. `socket(AF_CAN, CAN_ISOTP): Address family not supported by protocol`.
 */
export function kernelIsoTpUnavailable(): string | undefined {
  let c: Libc;
  try {
    c = loadLibc();
  } catch (error) {
    return (error as Error).message;
  }
  const fd = c.socket(AF_CAN, SOCK_DGRAM | SOCK_CLOEXEC, CAN_ISOTP);
  if (fd < 0) return `socket(AF_CAN, CAN_ISOTP): ${lastError(c)}`;
  c.close(fd);
  return undefined;
}

export function openSocketCan(channel: string | number | null): Promise<SocketCanBus> {
  try {
    return Promise.resolve(SocketCanBus.open(channel));
  } catch (error) {
    return Promise.reject(error);
  }
}
