import assert from "node:assert/strict";
import { grantFlags, mergeGrants, unixSocketGrants } from "./permissions.ts";

Deno.test("mergeGrants: read and write paths below another listed path are left out", () => {
  const merged = mergeGrants([
    { read: ["/run/jmp/drivers/vm", "lab.yaml"], write: ["/run/jmp/drivers/vm"] },
    { read: ["/run/jmp", "/run/jmpx"], write: ["/run/jmp/"], run: ["qemu-img"] },
    { read: ["/run/jmp/drivers/vm/qmp.sock"], net: ["unix:/run/jmp/drivers/vm/qmp.sock"] },
  ]);
  assert.deepEqual(grantFlags(merged), [
    "--allow-read=lab.yaml,/run/jmp,/run/jmpx",
    "--allow-write=/run/jmp/",
    // net names sockets by exact path: nothing covers them
    "--allow-net=unix:/run/jmp/drivers/vm/qmp.sock",
    "--allow-run=qemu-img",
  ]);
});

Deno.test("unixSocketGrants: read, write and net to the exact path", () => {
  assert.deepEqual(unixSocketGrants("/run/jmp/drivers/vm/qmp.sock"), {
    read: ["/run/jmp/drivers/vm/qmp.sock"],
    write: ["/run/jmp/drivers/vm/qmp.sock"],
    net: ["unix:/run/jmp/drivers/vm/qmp.sock"],
  });
});
