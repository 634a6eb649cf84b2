/**
 * The narrow boundary between the drivers and the GPIO character device: the five system calls
 * they drive it with. `libc.ts` makes them for real; tests give an emulated chip instead.
 */

/** What `poll` saw on a line request: events to read, nothing in time, or a gone device. */
export type PollResult = "readable" | "timeout" | "hangup";

/** The system calls the GPIO character device is driven with. */
export interface GpioSyscalls {
  /** Opens a chip's device node read-write; returns its file descriptor. */
  open(path: string): number;
  /** Runs an ioctl whose argument is `arg` (read and written in place). */
  ioctl(fd: number, request: number, arg: Uint8Array): void;
  /** Reads what is ready into `buffer`; returns the byte count. */
  read(fd: number, buffer: Uint8Array): number;
  /** Waits up to `timeoutMs` for `fd` to become readable. */
  poll(fd: number, timeoutMs: number): Promise<PollResult>;
  close(fd: number): void;
}

const ERRNO_NAMES: Record<number, [string, string]> = {
  1: ["EPERM", "Operation not permitted"],
  2: ["ENOENT", "No such file or directory"],
  5: ["EIO", "Input/output error"],
  6: ["ENXIO", "No such device or address"],
  9: ["EBADF", "Bad file descriptor"],
  11: ["EAGAIN", "Resource temporarily unavailable"],
  13: ["EACCES", "Permission denied"],
  14: ["EFAULT", "Bad address"],
  16: ["EBUSY", "Device or resource busy"],
  19: ["ENODEV", "No such device"],
  20: ["ENOTDIR", "Not a directory"],
  21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"],
  25: ["ENOTTY", "Inappropriate ioctl for device"],
};

/** A failed system call, with its errno. */
export class SyscallError extends Error {
  /** The errno name, e.g. `EBUSY` (`errno N` when unknown). */
  readonly code: string;

  constructor(readonly call: string, readonly errno: number) {
    const [code, text] = ERRNO_NAMES[errno] ??
      [`errno ${errno}`, "Unknown error"];
    super(`${text} (${code})`);
    this.name = "SyscallError";
    this.code = code;
  }
}

/** The errno number of a name in the table above (for emulators and tests). */
export function errnoOf(code: string): number {
  for (const [errno, [name]] of Object.entries(ERRNO_NAMES)) {
    if (name === code) return Number(errno);
  }
  throw new RangeError(`Unknown errno name ${code}`);
}
