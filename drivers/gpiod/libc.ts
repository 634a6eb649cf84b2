/**
 * The real GPIO system calls: libc's, through Deno's FFI (needs `--allow-ffi`). libc is loaded
 * on first use, so importing this module costs nothing on a machine without GPIO.
 */
import { type GpioSyscalls, type PollResult, SyscallError } from "./syscalls.ts";

const O_RDWR = 0o2;
const O_CLOEXEC = 0o2000000;
const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
// poll() runs on a worker thread whose errno this thread cannot read; EINTR is the one
// failure worth retrying, and at most this often in a row
const POLL_RETRIES = 3;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  poll: {
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  ["__errno_location"]: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let loaded: Libc | undefined;

function libc(): Libc {
  loaded ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  return loaded;
}

function errno(): number {
  const location = libc().__errno_location();
  return location === null ? 0 : new Deno.UnsafePointerView(location).getInt32();
}

function check(call: string, result: number | bigint): number {
  if (Number(result) < 0) throw new SyscallError(call, errno());
  return Number(result);
}

/** libc's open/ioctl/read/poll/close. */
export const libcSyscalls: GpioSyscalls = {
  open(path) {
    const name = new TextEncoder().encode(`${path}\0`);
    return check("open", libc().open(name, O_RDWR | O_CLOEXEC));
  },
  ioctl(fd, request, arg) {
    check("ioctl", libc().ioctl(fd, BigInt(request), arg));
  },
  read(fd, buffer) {
    return check("read", libc().read(fd, buffer, BigInt(buffer.byteLength)));
  },
  async poll(fd, timeoutMs): Promise<PollResult> {
    const pollfd = new Uint8Array(8);
    const view = new DataView(pollfd.buffer);
    view.setInt32(0, fd, true);
    view.setInt16(4, POLLIN, true);
    for (let attempt = 1;; attempt++) {
      const ready = await libc().poll(
        pollfd,
        1n,
        Math.max(0, Math.ceil(timeoutMs)),
      );
      if (ready === 0) return "timeout";
      if (ready > 0) {
        const events = view.getInt16(6, true);
        if (events & POLLIN) return "readable";
        if (events & (POLLERR | POLLHUP | POLLNVAL)) return "hangup";
        return "timeout";
      }
      if (attempt >= POLL_RETRIES) throw new SyscallError("poll", 0);
    }
  },
  close(fd) {
    check("close", libc().close(fd));
  },
};
