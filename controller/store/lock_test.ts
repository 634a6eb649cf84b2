import assert from "node:assert/strict";
import { FileStore } from "./file_store.ts";
import { StoreLockedError } from "./types.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-lock-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("lock: a second open of the same directory fails until the first closes", async () => {
  await withDir(async (dir) => {
    const first = await FileStore.open(dir);
    assert.equal((await Deno.readTextFile(`${dir}/lock`)).trim(), String(Deno.pid));
    const error = await FileStore.open(dir).then(() => assert.fail("double open"), (e) => e);
    assert.ok(error instanceof StoreLockedError);
    assert.equal(error.pid, Deno.pid);
    assert.match(error.message, /is locked by process \d+/);
    await first.close();
    assert.equal(await Deno.readTextFile(`${dir}/lock`), "");
    const second = await FileStore.open(dir);
    assert.equal(second.previousLockHolder, undefined);
    await second.close();
  });
});

Deno.test("lock: a stale lock file from a dead pid is taken over", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/lock`, "2147483646\n");
    const store = await FileStore.open(dir);
    assert.equal(store.previousLockHolder, 2147483646);
    assert.equal((await Deno.readTextFile(`${dir}/lock`)).trim(), String(Deno.pid));
    await store.close();
  });
});

Deno.test("lock: another live process holds the lock; after it dies, it is taken over", async () => {
  await withDir(async (dir) => {
    const url = new URL("./file_store.ts", import.meta.url).href;
    const code = `const { FileStore } = await import(${JSON.stringify(url)});
      await FileStore.open(${JSON.stringify(dir)});
      console.log("locked");
      setInterval(() => {}, 1000);`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.getReader();
      const { value } = await reader.read();
      assert.match(new TextDecoder().decode(value), /locked/);
      reader.releaseLock();
      const error = await FileStore.open(dir).then(() => assert.fail("opened"), (e) => e);
      assert.ok(error instanceof StoreLockedError);
      assert.equal(error.pid, child.pid);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
    const store = await FileStore.open(dir);
    assert.equal(store.previousLockHolder, child.pid);
    await store.close();
  });
});
