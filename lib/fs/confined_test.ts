import assert from "node:assert/strict";
import {
  isWithin,
  NotRegularFileError,
  openDirectoryIn,
  openFileIn,
  OutsideRootError,
} from "./confined.ts";

async function withDirs(body: (root: string, outside: string) => Promise<void>) {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "jmp-confined-" }));
  try {
    await Deno.mkdir(`${base}/root`);
    await Deno.mkdir(`${base}/outside`);
    await body(`${base}/root`, `${base}/outside`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("openFileIn() follows symlinks that stay inside and refuses those that leave", async () => {
  await withDirs(async (root, outside) => {
    await Deno.mkdir(`${root}/boot`);
    await Deno.writeTextFile(`${root}/boot/Image`, "kernel");
    await Deno.writeTextFile(`${outside}/secret`, "secret");
    await Deno.symlink(`${root}/boot`, `${root}/alias`);
    await Deno.symlink(`${outside}/secret`, `${root}/leak`);
    await Deno.symlink(outside, `${root}/out`);

    const opened = await openFileIn(root, ["alias", "Image"]);
    assert.equal(await new Response(opened.file.readable).text(), "kernel");
    assert.equal(opened.realPath, `${root}/boot/Image`);
    await assert.rejects(openFileIn(root, ["leak"]), OutsideRootError);
    await assert.rejects(openFileIn(root, ["out", "secret"]), OutsideRootError);
    await assert.rejects(openFileIn(root, ["missing"]), Deno.errors.NotFound);
    await assert.rejects(openFileIn(root, ["boot"]), NotRegularFileError);
  });
});

Deno.test("openFileIn() refuses a FIFO without blocking on it", async () => {
  await withDirs(async (root) => {
    const made = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
    assert.ok(made.success, "mkfifo failed");
    await assert.rejects(openFileIn(root, ["pipe"]), NotRegularFileError);
  });
});

Deno.test("openDirectoryIn() creates missing directories only inside the root", async () => {
  await withDirs(async (root, outside) => {
    await Deno.symlink(outside, `${root}/out`);
    await assert.rejects(
      openDirectoryIn(root, ["out", "made"], { create: true }),
      (error) => error instanceof OutsideRootError && /"out" leads out of/.test(error.message),
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(outside)), [], "made outside");

    const made = await openDirectoryIn(root, ["a", "b"], { create: true });
    try {
      assert.equal(made.realPath, `${root}/a/b`);
      // names joined to the descriptor path land in that very directory
      await Deno.writeTextFile(`${made.path}/file`, "x");
      assert.equal(await Deno.readTextFile(`${root}/a/b/file`), "x");
    } finally {
      await made.close();
    }
  });
});

Deno.test("isWithin() compares whole path components", () => {
  assert.ok(isWithin("/srv/root", "/srv/root"));
  assert.ok(isWithin("/srv/root", "/srv/root/a"));
  assert.ok(!isWithin("/srv/root", "/srv/rootless"));
  assert.ok(isWithin("/", "/anything"));
});
