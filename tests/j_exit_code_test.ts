import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { assertExit, assertOutput, describe, jmp, runtimeDir, spawnJmp } from "./_helpers.ts";

const SHELL_LAB = fileURLToPath(new URL("./testdata/shell-lab.yaml", import.meta.url));

Deno.test("j exits with a shell method's return code, through jmp shell", async () => {
  const result = await jmp(["shell", "--exporter-config", SHELL_LAB, "--", "j", "sh", "fail3"]);
  assertExit(result, 3);
  assertOutput(result, "stdout", "failing");
  const ok = await jmp(["shell", "--exporter-config", SHELL_LAB, "--", "j", "sh", "hello"]);
  assertExit(ok, 0);
  assertOutput(ok, "stdout", "hello from the exporter");
});

/** The descriptor numbers `ls /proc/PID/fd` printed. */
function descriptors(stdout: string): string[] {
  return stdout.split("\n").filter((line) => /^\d+$/.test(line)).sort();
}

Deno.test("children of jmp shell and of the exporter get stdin, stdout and stderr only", async () => {
  // `$$` is the shell itself, so ls's own directory descriptor is not listed
  const shell = await jmp([
    "shell",
    "--exporter-config",
    SHELL_LAB,
    "--",
    "sh",
    "-c",
    "ls /proc/$$/fd",
  ]);
  assertExit(shell, 0);
  assert.deepEqual(descriptors(shell.stdout), ["0", "1", "2"], describe(shell));
  // a shell-driver method runs as a child of the exporter, reached through j
  const method = await jmp(["shell", "--exporter-config", SHELL_LAB, "--", "j", "sh", "fds"]);
  assertExit(method, 0);
  assert.deepEqual(descriptors(method.stdout), ["0", "1", "2"], describe(method));
});

Deno.test("j is refused at once on the socket of a killed jmp shell whose child lives on", async () => {
  await using runtime = await runtimeDir();
  await using shell = spawnJmp([
    "shell",
    "--exporter-config",
    SHELL_LAB,
    "--",
    "sh",
    "-c",
    'echo "$JUMPSTARTER_HOST"; exec sleep 600',
  ], { env: runtime.env });
  const host = await shell.firstLine;
  // only jmp dies; the sleeping child stays, and with it anything it inherited
  shell.process.kill("SIGKILL");
  await shell.process.status;
  const late = await jmp(["j", "sh", "hello"], {
    env: { JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" },
    timeoutMs: 60_000,
  });
  // refused on connect: had the child inherited the listener, the connection would have been
  // queued and j would wait for an answer that never comes
  assertExit(late, 1);
  assertOutput(late, "stderr", "ECONNREFUSED");
});
