import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { waitingFor } from "@jumpstarter/lib/testing";
import { claimRuntimeDir } from "./runtime_dir.ts";

const RUNTIME_DIR = fileURLToPath(new URL("./runtime_dir.ts", import.meta.url));

/** Another process that claims `dir`, leaves a file in it and holds it until killed. */
function holder(dir: string) {
  const script = `import { claimRuntimeDir } from ${JSON.stringify(RUNTIME_DIR)};
claimRuntimeDir(${JSON.stringify(dir)}, "unused-");
Deno.writeTextFileSync(${JSON.stringify(`${dir}/qmp.sock`)}, "stale");
console.log("claimed");
setInterval(() => {}, 1000);`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const claimed = (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("claimed\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the holder exited before claiming ${dir}: it printed "${text}"`);
      text += value;
    }
    await reader.cancel();
  })();
  return { child, claimed };
}

Deno.test("claimRuntimeDir: a named directory is refused while another process holds it, and cleared once it was killed", async () => {
  const parent = await Deno.makeTempDir({ prefix: "jmp-runtime-dir-" });
  const dir = `${parent}/drivers/board.qemu`;
  const { child, claimed } = holder(dir);
  try {
    await waitingFor(`another process to claim ${dir}`, claimed);
    assert.throws(() => claimRuntimeDir(dir, "unused-"), /is in use by another process/);
    child.kill("SIGKILL");
    await child.status;
    const claim = claimRuntimeDir(dir, "unused-");
    assert.equal(claim.path, dir);
    const left = (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name);
    assert.deepEqual(left, [".lock"], "what the killed process left was not removed");
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    await claim.remove();
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("claimRuntimeDir: without a name, a new temporary directory each time", async () => {
  const first = claimRuntimeDir(undefined, "jmp-runtime-dir-test-");
  const second = claimRuntimeDir(undefined, "jmp-runtime-dir-test-");
  try {
    assert.notEqual(first.path, second.path);
    assert.match(first.path, /\/jmp-runtime-dir-test-[^/]+$/);
  } finally {
    await first.remove();
    await second.remove();
  }
  await assert.rejects(Deno.stat(first.path), Deno.errors.NotFound);
});
