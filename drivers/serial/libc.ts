/**
 * The few libc calls a serial port needs that `Deno.open` lacks: `open` with O_NOCTTY and
 * O_NONBLOCK (a daemon must not acquire the device as its controlling terminal, and a modem line
 * without carrier must not block the open), non-blocking `read`/`write`, and `poll` run off the
 * main thread to wait for readiness. Flag values and errno access are Linux's.
 */

export const O_RDWR = 0o2;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
/** ioctl requests and bits of the modem control lines (asm-generic/ioctls.h, termios.h). */
export const TIOCMBIS = 0x5416;
export const TIOCMBIC = 0x5417;
export const TIOCM_DTR = 0x002;
export const TIOCM_RTS = 0x004;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  isatty: { parameters: ["i32"], result: "i32" },
  // only the modem-line requests, whose third argument is an int*
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  // runs on a worker thread, so waiting for a quiet device never blocks the event loop
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  "__errno_location": { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | undefined;
let errnoView: Deno.UnsafePointerView | undefined;

/** The libc symbols, loaded on first use. */
export function loadLibc(): Libc {
  if (libc) return libc;
  if (Deno.build.os !== "linux") {
    throw new Error(`Serial ports are supported on Linux only, not on ${Deno.build.os}`);
  }
  let lastError: unknown;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      libc = Deno.dlopen(name, SYMBOLS).symbols;
      errnoView = new Deno.UnsafePointerView(libc.__errno_location()!);
      return libc;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`Cannot load the C library for serial port access: ${String(lastError)}`, {
    cause: lastError,
  });
}

/**
 * errno of the last failed synchronous call on this (the main) thread; read it right after the
 * call. Calls marked `nonblocking` run elsewhere and leave it untouched.
 */
export function errno(): number {
  loadLibc();
  return errnoView!.getInt32();
}

/** An OS call failed; the message is libc's description of errno. */
export class OsError extends Error {
  readonly errno: number;

  constructor(call: string, code: number) {
    const description = Deno.UnsafePointerView.getCString(loadLibc().strerror(code)!);
    super(`${call}: ${description}`);
    this.name = "OsError";
    this.errno = code;
  }

  /** Just libc's description, e.g. "No such file or directory". */
  get reason(): string {
    return this.message.slice(this.message.indexOf(": ") + 2);
  }
}

/** A NUL-terminated copy of `text`, as C string parameters need. */
export function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}
