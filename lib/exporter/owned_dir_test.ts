import assert from "node:assert/strict";
import { makeOwnedDir } from "./owned_dir.ts";

const MODULE = new URL("./owned_dir.ts", import.meta.url).href;
const PREFIX = "jumpstarter-owned-test-";

/** Another process owning a directory in `parent`: its path once made, and the process. */
async function ownerProcess(parent: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const { makeOwnedDir } = await import(${JSON.stringify(MODULE)});
       const dir = await makeOwnedDir(${JSON.stringify(PREFIX)}, ${JSON.stringify(parent)});
       console.log(dir.path);
       setInterval(() => {}, 60_000);`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the owner process exited before printing its directory; printed ${text}`);
    text += value;
  }
  reader.releaseLock();
  return { path: text.trim(), child };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("an owned directory is private, and gone with its remove()", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const dir = await makeOwnedDir(PREFIX, parent);
    assert.ok(dir.path.startsWith(`${parent}/${PREFIX}`), dir.path);
    assert.equal((await Deno.stat(dir.path)).mode! & 0o777, 0o700);
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(dir.path))).map((e) => e.name),
      [".owner"],
    );
    await dir.remove();
    assert.equal(await exists(dir.path), false);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("making one removes the directories of killed owners, not of live ones", async () => {
  const parent = await Deno.makeTempDir();
  const live = await ownerProcess(parent);
  const killed = await ownerProcess(parent);
  try {
    // a directory of the prefix nobody claims with an owner file is not this module's to judge
    const foreign = `${parent}/${PREFIX}foreign`;
    await Deno.mkdir(foreign);
    killed.child.kill("SIGKILL");
    await killed.child.status;
    assert.equal(await exists(killed.path), true, "SIGKILL leaves the directory behind");

    const mine = await makeOwnedDir(PREFIX, parent);
    assert.equal(await exists(killed.path), false, `${killed.path} outlived its owner`);
    assert.equal(await exists(live.path), true, `${live.path} was removed under its live owner`);
    assert.equal(await exists(foreign), true, `${foreign} had no owner file and was removed`);
    await mine.remove();
  } finally {
    live.child.kill("SIGKILL");
    await live.child.status;
    await killed.child.stdout.cancel().catch(() => {});
    await live.child.stdout.cancel().catch(() => {});
    await Deno.remove(parent, { recursive: true });
  }
});
