const libc = Deno.dlopen("libc.so.6", {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
});
const errnoPtr = libc.symbols.__errno_location()!;
const errno = () => new Deno.UnsafePointerView(errnoPtr).getInt32();
const fd = libc.symbols.open(new TextEncoder().encode("/tmp/sp/a\0"), 2 | 256 | 2048 | 0o2000000);
console.log("fd", fd, fd < 0 ? errno() : "");
const buf = new Uint8Array(65536);
const r = libc.symbols.read(fd, buf, 65536n);
console.log("read", r, typeof r, errno(), Deno.UnsafePointerView.getCString(libc.symbols.strerror(errno())!));
const pfd = new Uint8Array(8); const dv = new DataView(pfd.buffer);
dv.setInt32(0, fd, true); dv.setInt16(4, 1, true);
new Deno.Command("sh", { args: ["-c", "sleep 0.3; kill $(cat /tmp/sp/socat.pid)"] }).spawn();
const t0 = performance.now();
const pr = await libc.symbols.poll(pfd, 1n, -1);
console.log("poll", pr, "revents", dv.getInt16(6, true), performance.now() - t0);
const r2 = libc.symbols.read(fd, buf, 65536n);
console.log("read after kill", r2, errno(), Deno.UnsafePointerView.getCString(libc.symbols.strerror(errno())!));
const w = libc.symbols.write(fd, buf, 10n);
console.log("write after kill", w, errno());
libc.symbols.close(fd);
const fd2 = libc.symbols.open(new TextEncoder().encode("/tmp/sp/a\0"), 2 | 256 | 2048 | 0o2000000);
console.log("reopen", fd2, errno());
libc.close();
