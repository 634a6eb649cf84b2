import assert from "node:assert/strict";
import {
  checkDirectory,
  isWithin,
  NotRegularFileError,
  openFileIn,
  OutsideRootError,
  UnsafeDirectoryError,
} from "./confined.ts";
import { OTHER_UID, withRoot } from "./_testing/roots.ts";

const AS_ROOT = { ignore: Deno.uid() !== 0 };

async function text(root: string, segments: string[]): Promise<string> {
  const opened = await openFileIn(root, segments);
  return await new Response(opened.readable()).text();
}

Deno.test("openFileIn() follows symlinks that stay inside and refuses those that leave", async () => {
  await withRoot(async (root, outside) => {
    await Deno.mkdir(`${root}/boot`);
    await Deno.writeTextFile(`${root}/boot/Image`, "kernel");
    await Deno.writeTextFile(`${outside}/secret`, "secret");
    await Deno.symlink(`${root}/boot`, `${root}/alias`);
    await Deno.symlink(`${outside}/secret`, `${root}/leak`);
    await Deno.symlink(outside, `${root}/out`);

    const opened = await openFileIn(root, ["alias", "Image"]);
    assert.equal(opened.realPath, `${root}/boot/Image`);
    assert.equal(opened.size, 6);
    assert.equal(await new Response(opened.readable()).text(), "kernel");
    await assert.rejects(openFileIn(root, ["leak"]), OutsideRootError);
    await assert.rejects(openFileIn(root, ["out", "secret"]), OutsideRootError);
    await assert.rejects(openFileIn(root, ["missing"]), Deno.errors.NotFound);
    await assert.rejects(openFileIn(root, ["boot"]), NotRegularFileError);
  });
});

Deno.test("openFileIn() reads at a position and from an offset, then closes", async () => {
  await withRoot(async (root) => {
    await Deno.writeTextFile(`${root}/f`, "0123456789");
    const opened = await openFileIn(root, ["f"]);
    const buffer = new Uint8Array(4);
    assert.equal(await opened.read(buffer, 3), 4);
    assert.equal(new TextDecoder().decode(buffer), "3456");
    assert.equal(await opened.read(buffer, 10), 0);
    assert.equal(await new Response(opened.readable(7)).text(), "789");
    await opened.close(); // again, after the stream closed it: a no-op
  });
});

Deno.test("openFileIn() refuses a FIFO without blocking on it", async () => {
  await withRoot(async (root) => {
    const made = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
    assert.ok(made.success, "mkfifo failed");
    await assert.rejects(openFileIn(root, ["pipe"]), NotRegularFileError);
  });
});

Deno.test("openFileIn() refuses a name below a directory others may write, not a file in it", async () => {
  await withRoot(async (root) => {
    await Deno.mkdir(`${root}/shared/sub`, { recursive: true });
    await Deno.writeTextFile(`${root}/shared/top`, "top");
    await Deno.writeTextFile(`${root}/shared/sub/deep`, "deep");
    await Deno.chmod(`${root}/shared`, 0o775);
    // the entry "top" may change, but is checked once opened; "sub" could become a symlink
    assert.equal(await text(root, ["shared", "top"]), "top");
    await assert.rejects(
      openFileIn(root, ["shared", "sub", "deep"]),
      (error) =>
        error instanceof UnsafeDirectoryError &&
        error.message.includes(`${root}/shared (owner uid ${Deno.uid()}, mode 0775)`),
    );
    // with the sticky bit, others cannot rename "sub" (this user's)
    await Deno.chmod(`${root}/shared`, 0o1777);
    assert.equal(await text(root, ["shared", "sub", "deep"]), "deep");
    await Deno.chmod(`${root}/shared`, 0o755);
    assert.equal(await text(root, ["shared", "sub", "deep"]), "deep");
  });
});

Deno.test({
  name: "openFileIn() refuses a name below a directory another user owns",
  ...AS_ROOT,
  fn: async () => {
    await withRoot(async (root) => {
      await Deno.mkdir(`${root}/theirs/sub`, { recursive: true });
      await Deno.writeTextFile(`${root}/theirs/sub/f`, "f");
      await Deno.writeTextFile(`${root}/theirs/top`, "top");
      await Deno.chown(`${root}/theirs`, OTHER_UID, OTHER_UID);
      assert.equal(await text(root, ["theirs", "top"]), "top");
      await assert.rejects(openFileIn(root, ["theirs", "sub", "f"]), UnsafeDirectoryError);
      // a sticky directory of root's, but the entry is theirs: they may rename it
      await Deno.chown(`${root}/theirs`, 0, 0);
      await Deno.chmod(`${root}/theirs`, 0o1777);
      await Deno.chown(`${root}/theirs/sub`, OTHER_UID, OTHER_UID);
      await assert.rejects(openFileIn(root, ["theirs", "sub", "f"]), UnsafeDirectoryError);
    });
  },
});

Deno.test("checkDirectory() refuses what is not below the root or not a directory", async () => {
  await withRoot(async (root, outside) => {
    await Deno.mkdir(`${root}/d`);
    await Deno.writeTextFile(`${root}/file`, "x");
    assert.ok((await checkDirectory(root, `${root}/d`, "d")).isDirectory);
    assert.ok((await checkDirectory(root, root, ".")).isDirectory);
    await assert.rejects(checkDirectory(root, outside, "x"), OutsideRootError);
    await assert.rejects(checkDirectory(root, `${root}/file`, "file"), Deno.errors.NotADirectory);
    await Deno.symlink(outside, `${root}/link`);
    // a path given as real that has become a symlink since
    await assert.rejects(checkDirectory(root, `${root}/link`, "link"), Deno.errors.NotADirectory);
  });
});

Deno.test("isWithin() compares whole path components", () => {
  assert.ok(isWithin("/srv/root", "/srv/root"));
  assert.ok(isWithin("/srv/root", "/srv/root/a"));
  assert.ok(!isWithin("/srv/root", "/srv/rootless"));
  assert.ok(isWithin("/", "/anything"));
});
