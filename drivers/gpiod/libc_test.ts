/**
 * The real system calls (libc through FFI) on this machine, which has no GPIO chip: what they
 * can show here is the errors a missing or wrong device gives, and that nothing is left open.
 */
import assert from "node:assert/strict";
import { DriverError } from "@jumpstarter/lib/wire";
import { GpioLine } from "./line.ts";
import { libcSyscalls } from "./libc.ts";
import { SyscallError } from "./syscalls.ts";

const INPUT = {
  direction: "input",
  activeLow: false,
  bias: "as_is",
  drive: "push_pull",
  edges: true,
} as const;

function openDescriptors(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

Deno.test("libc: a chip that is not there fails with ENOENT, one line", () => {
  const before = openDescriptors();
  assert.throws(
    () => new GpioLine(libcSyscalls, { device: "/dev/gpiochip99", line: 0 }, INPUT),
    (error: unknown) => {
      assert.ok(error instanceof DriverError);
      assert.equal(
        error.message,
        "Cannot open GPIO chip /dev/gpiochip99: No such file or directory (ENOENT)",
      );
      return true;
    },
  );
  assert.equal(openDescriptors(), before);
});

Deno.test("libc: a device that is no GPIO chip answers ENOTTY and is closed again", () => {
  const before = openDescriptors();
  assert.throws(
    () => new GpioLine(libcSyscalls, { device: "/dev/null", line: 0 }, INPUT),
    { message: "Cannot open GPIO chip /dev/null: not a GPIO character device" },
  );
  assert.equal(openDescriptors(), before, "the descriptor of /dev/null was left open");
});

Deno.test("libc: errno names the failure of each call", async () => {
  assert.throws(() => libcSyscalls.close(-1), (error: unknown) => {
    assert.ok(error instanceof SyscallError);
    assert.equal(error.code, "EBADF");
    return true;
  });
  const fd = libcSyscalls.open("/dev/null");
  try {
    assert.throws(() => libcSyscalls.ioctl(fd, 0xc250b407, new Uint8Array(592)), /ENOTTY/);
    // /dev/null is always readable: poll answers at once
    assert.equal(await libcSyscalls.poll(fd, 1000), "readable");
    assert.equal(libcSyscalls.read(fd, new Uint8Array(48)), 0);
  } finally {
    libcSyscalls.close(fd);
  }
});
