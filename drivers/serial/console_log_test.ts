import assert from "node:assert/strict";
import { ConsoleLog, defaultLogDir } from "./console_log.ts";
import { tempDir } from "./_testing/pty.ts";

Deno.test("ConsoleLog stays within max_bytes and keeps the newest bytes", async () => {
  await using dir = await tempDir();
  const log = await ConsoleLog.create(dir.path, "board", 1024);
  const all: number[] = [];
  const sizes = [1, 100, 511, 512, 700, 3, 2000, 90, 1024, 1, 333, 1025, 17];
  for (const [index, size] of sizes.entries()) {
    const chunk = new Uint8Array(size).map((_, i) => (index * 31 + i) % 251);
    await log.append(chunk);
    all.push(...chunk);
    const file = await Deno.readFile(log.path);
    assert.ok(file.byteLength <= 1024, `file grew to ${file.byteLength} B`);
    assert.ok(file.byteLength >= Math.min(all.length, 512), `file shrank to ${file.byteLength} B`);
    assert.deepEqual([...file], all.slice(all.length - file.byteLength));
    assert.equal(log.end, all.length);
    assert.equal(log.start, all.length - file.byteLength);
  }
  // a reader behind the dropped bytes resumes at the oldest byte kept
  const { offset, bytes } = await log.read(0, 100);
  assert.equal(offset, log.start);
  assert.deepEqual([...bytes], all.slice(log.start, log.start + 100));
  assert.equal((await log.read(log.end)).bytes.byteLength, 0);
  await log.close();
  assert.equal((await Deno.stat(log.path)).size, log.end - log.start, "the file stays");
});

Deno.test("ConsoleLog wakes waiting readers on append and on close", async () => {
  await using dir = await tempDir();
  const log = await ConsoleLog.create(dir.path, "board", 4096);
  const first = log.changed();
  await log.append(new TextEncoder().encode("x"));
  await first;
  const abort = new AbortController();
  const aborted = log.changed(abort.signal);
  abort.abort();
  await aborted;
  const second = log.changed();
  await log.close();
  await second;
  await log.changed(); // a closed log never blocks
});

Deno.test("ConsoleLog.text() reads the whole log, then with follow each append until close", async () => {
  await using dir = await tempDir();
  const log = await ConsoleLog.create(dir.path, "board", 1024 * 1024);
  // more than one read's worth (64 KiB), with a character split across the reads
  const big = "é".repeat(50_000);
  await log.append(new TextEncoder().encode(big));
  const never = new AbortController().signal;
  let whole = "";
  for await (const text of log.text(false, never)) whole += text;
  assert.equal(whole.length, big.length, "the whole log, not its first read");
  assert.ok(whole === big, "the text as appended");

  const follower = log.text(true, never, 50);
  let followed = "";
  while (followed.length < big.length) followed += (await follower.next()).value;
  assert.ok(followed === big, "a follower starts with the whole log");
  const next = follower.next();
  await log.append(new TextEncoder().encode("more"));
  assert.equal((await next).value, "more");
  assert.equal((await follower.next()).value, "", "an idle follower yields a heartbeat");
  await log.close();
  let after = await follower.next();
  while (!after.done && after.value === "") after = await follower.next();
  assert.equal(after.done, true, "the follower ends when the log closes");
});

Deno.test("ConsoleLog names files by name and time, never overwriting", async () => {
  await using dir = await tempDir();
  const logs = await Promise.all(
    [1, 2, 3].map(() => ConsoleLog.create(`${dir.path}/deep/dir`, "my board/1", 4096)),
  );
  const names = logs.map((log) => log.path.slice(`${dir.path}/deep/dir/`.length));
  assert.equal(new Set(names).size, 3);
  for (const name of names) assert.match(name, /^my_board_1-\d{8}T\d{6}\.\d{3}Z(-\d)?\.log$/);
  await Promise.all(logs.map((log) => log.close()));
});

Deno.test("defaultLogDir follows XDG_STATE_HOME, then HOME", () => {
  assert.equal(defaultLogDir({ XDG_STATE_HOME: "/s", HOME: "/h" }), "/s/jumpstarter/console");
  assert.equal(defaultLogDir({ HOME: "/h" }), "/h/.local/state/jumpstarter/console");
  assert.throws(() => defaultLogDir({}), /set log_dir, XDG_STATE_HOME or HOME/);
});

Deno.test("ConsoleLog.changed() given up on leaves no waiter behind", async () => {
  await using dir = await tempDir();
  const log = await ConsoleLog.create(dir.path, "board", 4096);
  for (let i = 0; i < 100; i++) {
    const abort = new AbortController();
    const waiting = log.changed(abort.signal);
    abort.abort();
    await waiting;
  }
  // an idle follower's heartbeats give up a wait each time
  const follower = log.text(true, new AbortController().signal, 1);
  for (let i = 0; i < 20; i++) assert.equal((await follower.next()).value, "");
  assert.equal(log.waiting, 0, "a heartbeat leaves no wait behind");
  await log.close();
  assert.equal((await follower.next()).done, true);
});
