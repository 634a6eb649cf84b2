/**
 * A tty device (USB serial adapter, UART, pty) opened non-blocking through libc, configured raw
 * at a baud rate with `stty`, and read/written with `poll` for readiness.
 *
 * Why not `Deno.open`: its reads and writes block a thread in the kernel. Closing the file
 * rejects a pending read but leaves that thread blocked, so it later swallows the next bytes the
 * device sends; a write to a device that does not drain can never be stopped; and the open lacks
 * O_NOCTTY, so a daemonised exporter would take the device as its controlling terminal and get
 * SIGHUP on unplug. (`serialport`'s native binding does not work under Deno: its writes fail
 * with EBADF.) Here every wait is a `poll` on the device and a wake-up pipe, so `close` ends
 * pending reads and writes at once and no byte is lost.
 */
import {
  cString,
  EAGAIN,
  EINTR,
  EIO,
  errno,
  loadLibc,
  O_CLOEXEC,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDWR,
  OsError,
  POLLIN,
  POLLOUT,
  TIOCM_DTR,
  TIOCM_RTS,
  TIOCMBIC,
  TIOCMBIS,
} from "./libc.ts";
import { type ModemLine, type Port, PortClosedError, PortGoneError } from "./port.ts";

const READ_SIZE = 64 * 1024;

/** How a tty is set up besides its baud rate. */
export interface TtyOptions {
  /** Clear HUPCL, so that closing the device does not drop DTR (which resets some boards). */
  disableHupcl?: boolean;
}

/** Sets raw 8N1 at `baudrate`, no flow control, ignoring modem lines (as pyserial does). */
async function configure(path: string, baudrate: number, options: TtyOptions): Promise<void> {
  const settings = [
    String(baudrate),
    "raw",
    "-echo",
    "-iexten",
    "cs8",
    "-parenb",
    "-cstopb",
    "clocal",
    "cread",
    "-crtscts",
    "-ixon",
    "-ixoff",
    ...(options.disableHupcl ? ["-hupcl"] : []),
  ];
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("stty", {
      args: ["-F", path, ...settings],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(`Cannot run stty to configure ${path}: ${(error as Error).message}`);
  }
  if (!output.success) {
    const reason = new TextDecoder().decode(output.stderr).trim().replace(/^stty: /, "");
    throw new Error(`Cannot configure ${path} (raw, ${baudrate} baud): ${reason}`);
  }
}

/** An open tty device. */
export class TtyPort implements Port {
  readonly path: string;
  readonly #fd: number;
  readonly #wakeRead: number;
  readonly #wakeWrite: number;
  readonly #buffer = new Uint8Array(READ_SIZE);
  readonly #readPoll: Uint8Array;
  readonly #writePoll: Uint8Array;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  private constructor(path: string, fd: number, wake: [number, number]) {
    this.path = path;
    this.#fd = fd;
    [this.#wakeRead, this.#wakeWrite] = wake;
    this.#readPoll = this.#pollSet(POLLIN);
    this.#writePoll = this.#pollSet(POLLOUT);
  }

  /**
   * Checks that `path` can be opened as a tty right now (used at startup), and closes it again.
   *
   * @throws {OsError|Error} saying why not.
   */
  static probe(path: string): void {
    const libc = loadLibc();
    const fd = libc.open(cString(path), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw new OsError("open", errno());
    const tty = libc.isatty(fd) === 1;
    libc.close(fd);
    if (!tty) throw new Error("not a terminal device");
  }

  /**
   * Opens `path` and configures it raw at `baudrate`.
   *
   * @throws {OsError|Error} when the device is missing, busy, not a tty or cannot be configured.
   */
  static async open(path: string, baudrate: number, options: TtyOptions = {}): Promise<TtyPort> {
    const libc = loadLibc();
    const fd = libc.open(cString(path), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw new OsError("open", errno());
    const pipe = new Int32Array(2);
    try {
      if (libc.isatty(fd) !== 1) throw new Error("not a terminal device");
      if (libc.pipe2(pipe, O_NONBLOCK | O_CLOEXEC) < 0) throw new OsError("pipe2", errno());
      await configure(path, baudrate, options);
    } catch (error) {
      libc.close(fd);
      if (pipe[0]) libc.close(pipe[0]);
      if (pipe[1]) libc.close(pipe[1]);
      throw error;
    }
    return new TtyPort(path, fd, [pipe[0]!, pipe[1]!]);
  }

  /** Two pollfd entries: the device (for `events`) and the wake-up pipe. */
  #pollSet(events: number): Uint8Array {
    const set = new Uint8Array(16);
    const view = new DataView(set.buffer);
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, events, true);
    view.setInt32(8, this.#wakeRead, true);
    view.setInt16(12, POLLIN, true);
    return set;
  }

  /** Waits until the device is ready (or hung up); false when the port is being closed. */
  async #wait(set: Uint8Array): Promise<boolean> {
    const view = new DataView(set.buffer);
    for (;;) {
      view.setInt16(6, 0, true);
      view.setInt16(14, 0, true);
      // a -1 here is EINTR (the other errors cannot happen with these arguments): poll again
      const ready = await loadLibc().poll(set, 2n, -1);
      if (view.getInt16(14, true) !== 0) return false;
      if (ready > 0) return true;
    }
  }

  #track<T>(operation: Promise<T>): Promise<T> {
    this.#inFlight.add(operation);
    const forget = () => this.#inFlight.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  read(): Promise<Uint8Array | null> {
    return this.#track(this.#read());
  }

  async #read(): Promise<Uint8Array | null> {
    const libc = loadLibc();
    while (!this.#closing) {
      const count = Number(libc.read(this.#fd, this.#buffer, BigInt(READ_SIZE)));
      if (count > 0) return this.#buffer.slice(0, count);
      if (count === 0) throw new PortGoneError("the device hung up");
      const code = errno();
      if (code === EINTR) continue;
      if (code === EIO) throw new PortGoneError("the device hung up (Input/output error)");
      if (code !== EAGAIN) throw new PortGoneError(new OsError("read", code).reason);
      if (!await this.#wait(this.#readPoll)) break;
    }
    return null;
  }

  write(data: Uint8Array): Promise<void> {
    return this.#track(this.#write(data));
  }

  async #write(data: Uint8Array): Promise<void> {
    const libc = loadLibc();
    let offset = 0;
    while (offset < data.byteLength) {
      if (this.#closing) throw new PortClosedError();
      const rest = data.subarray(offset);
      const count = Number(libc.write(this.#fd, rest, BigInt(rest.byteLength)));
      if (count >= 0) {
        offset += count;
        continue;
      }
      const code = errno();
      if (code === EINTR) continue;
      if (code !== EAGAIN) throw new PortGoneError(new OsError("write", code).reason);
      if (!await this.#wait(this.#writePoll)) throw new PortClosedError();
    }
  }

  setModemLine(line: ModemLine, on: boolean): void {
    if (this.#closing) throw new PortClosedError();
    const bits = new Int32Array([line === "dtr" ? TIOCM_DTR : TIOCM_RTS]);
    if (loadLibc().ioctl(this.#fd, BigInt(on ? TIOCMBIS : TIOCMBIC), bits) < 0) {
      throw new OsError("ioctl", errno());
    }
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      const libc = loadLibc();
      libc.write(this.#wakeWrite, new Uint8Array([1]), 1n);
      await Promise.allSettled([...this.#inFlight]);
      libc.close(this.#fd);
      libc.close(this.#wakeRead);
      libc.close(this.#wakeWrite);
    })();
  }
}
