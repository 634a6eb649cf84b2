/**
 * Keeping our descriptors out of child processes. Deno opens files, pipes and sockets
 * close-on-exec, with one exception: the listening socket of a `node:net` Unix server, which is
 * what grpc-js binds for a `unix:` address. Every child of the process (the `jmp shell` shell,
 * shell-driver commands, hooks, QEMU) would inherit it, and an orphaned child then keeps the
 * socket accepting connections nobody serves. Upstream's children see only 0, 1 and 2 (Python's
 * `subprocess` closes the rest), so descriptors we inherited are not passed on either.
 */

/** `ioctl` request that sets FD_CLOEXEC (asm-generic, so x86 and arm alike). */
const FIOCLEX = 0x5451n;

type SetCloseOnExec = (fd: number) => void;

let setCloseOnExec: SetCloseOnExec | null | undefined;

/** `ioctl(fd, FIOCLEX)` through libc, or `null` where there is no way to call it. */
function loadSetCloseOnExec(): SetCloseOnExec | null {
  if (setCloseOnExec !== undefined) return setCloseOnExec;
  setCloseOnExec = null;
  // without FFI (a narrowly permitted binary) the descriptors stay as Deno made them
  if (Deno.build.os !== "linux") return null;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      const { symbols } = Deno.dlopen(name, {
        ioctl: { parameters: ["i32", "u64"], result: "i32" },
      });
      setCloseOnExec = (fd) => void symbols.ioctl(fd, FIOCLEX);
      break;
    } catch { /* try the next name */ }
  }
  return setCloseOnExec;
}

/**
 * Marks every descriptor of this process above stderr close-on-exec, so that children get only
 * the stdio they are spawned with. Call it after opening a Unix listener and before spawning a
 * child that outlives the call (a shell). Best effort: a no-op off Linux or without FFI.
 */
export function closeOnExecAll(): void {
  const set = loadSetCloseOnExec();
  if (!set) return;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc/self/fd")];
  } catch {
    return;
  }
  for (const entry of entries) {
    const fd = Number(entry.name);
    // the directory's own descriptor is closed by now: EBADF, ignored
    if (fd > 2) set(fd);
  }
}
