import assert from "node:assert/strict";
import { openDirectoryIn } from "./confined.ts";
import { OutsideRootError, UnsafeDirectoryError } from "./confined_paths.ts";
import { deleteFileIn, listFilesIn, UPLOAD_PREFIX, writeFileIn } from "./confined_tree.ts";
import {
  AS_ROOT,
  ROOT_CHECKS,
  testInOthersRoot,
  theirDirectory,
  withRoot,
  withRootCheck,
} from "./_testing/roots.ts";

function bytes(text: string): ReadableStream<Uint8Array> {
  return ReadableStream.from([new TextEncoder().encode(text)]);
}

async function entries(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name).sort();
}

for (const check of ROOT_CHECKS) {
  Deno.test(`openDirectoryIn() (${check} check) creates missing directories only inside the root`, async () => {
    await withRootCheck(check, () =>
      withRoot(async (root, outside) => {
        await Deno.symlink(outside, `${root}/out`);
        await assert.rejects(
          openDirectoryIn(root, ["out", "made"], { create: true }),
          (error) => error instanceof OutsideRootError && /"out" leads out of/.test(error.message),
        );
        assert.deepEqual(await entries(outside), [], "made outside");

        // made directories stay writable by their owner only, whatever the umask
        const umask = Deno.umask(0o002);
        const made = await openDirectoryIn(root, ["a", "b"], { create: true }).finally(() =>
          Deno.umask(umask)
        );
        try {
          assert.equal(made.realPath, `${root}/a/b`);
          assert.equal((await Deno.lstat(`${root}/a`)).mode! & 0o777, 0o755);
          // names joined to the handle's path land in that very directory
          await Deno.writeTextFile(`${made.path}/file`, "x");
          assert.equal(await Deno.readTextFile(`${root}/a/b/file`), "x");
        } finally {
          await made.close();
        }
        await assert.rejects(openDirectoryIn(root, ["c"]), Deno.errors.NotFound);
      }));
  });

  Deno.test(`writeFileIn() (${check} check) replaces a symlink, never what it points at, and leaves no temporary file`, async () => {
    await withRootCheck(check, () =>
      withRoot(async (root, outside) => {
        await Deno.writeTextFile(`${outside}/secret`, "secret");
        await Deno.symlink(`${outside}/secret`, `${root}/leak`);
        assert.equal(await writeFileIn(root, ["leak"], bytes("mine")), 4);
        assert.ok((await Deno.lstat(`${root}/leak`)).isFile, "the link was not replaced");
        assert.equal(await Deno.readTextFile(`${outside}/secret`), "secret");

        assert.equal(await writeFileIn(root, ["boot", "Image"], bytes("kernel")), 6);
        assert.equal(await Deno.readTextFile(`${root}/boot/Image`), "kernel");
        await assert.rejects(writeFileIn(root, ["boot"], bytes("x")), Deno.errors.IsADirectory);
        const broken = new ReadableStream<Uint8Array>({
          pull: (controller) => controller.error(new Error("client gone")),
        });
        await assert.rejects(writeFileIn(root, ["boot", "Image"], broken), /client gone/);
        assert.deepEqual(await entries(`${root}/boot`), ["Image"]);
        assert.equal(await Deno.readTextFile(`${root}/boot/Image`), "kernel");
      }));
  });

  Deno.test(`deleteFileIn() (${check} check) unlinks a symlink itself and refuses directories and outside names`, async () => {
    await withRootCheck(check, () =>
      withRoot(async (root, outside) => {
        await Deno.writeTextFile(`${outside}/x`, "secret");
        await Deno.symlink(`${outside}/x`, `${root}/leak`);
        await Deno.symlink(outside, `${root}/dirlink`);
        await Deno.mkdir(`${root}/d`);
        await deleteFileIn(root, ["leak"]);
        await assert.rejects(deleteFileIn(root, ["dirlink", "x"]), OutsideRootError);
        await assert.rejects(deleteFileIn(root, ["d"]), Deno.errors.IsADirectory);
        await assert.rejects(deleteFileIn(root, ["gone"]), Deno.errors.NotFound);
        assert.equal(await Deno.readTextFile(`${outside}/x`), "secret");
        assert.deepEqual(await entries(root), ["d", "dirlink"]);
      }));
  });

  Deno.test(`listFilesIn() (${check} check) lists files and links, not uploads in progress or what links lead to`, async () => {
    await withRootCheck(check, () =>
      withRoot(async (root, outside) => {
        await Deno.writeTextFile(`${outside}/x`, "secret");
        await Deno.symlink(outside, `${root}/dirlink`);
        await Deno.mkdir(`${root}/boot/dtb`, { recursive: true });
        await Deno.writeTextFile(`${root}/boot/dtb/board.dtb`, "dtb");
        await Deno.writeTextFile(`${root}/${UPLOAD_PREFIX}123`, "partial");
        assert.deepEqual(await listFilesIn(root), ["boot/dtb/board.dtb", "dirlink"]);
      }));
  });
}

testInOthersRoot(
  "writeFileIn(), deleteFileIn() and listFilesIn() in a root another user owns, with group-writable subdirectories: nested under the kernel check, top-level only under the ownership check",
  async (root) => {
    await withRootCheck("ownership", async () => {
      assert.deepEqual(await listFilesIn(root), ["top"]);
      await writeFileIn(root, ["new"], bytes("new"));
      await assert.rejects(writeFileIn(root, ["a", "h"], bytes("h")), UnsafeDirectoryError);
      await assert.rejects(writeFileIn(root, ["c", "h"], bytes("h")), UnsafeDirectoryError);
      await assert.rejects(deleteFileIn(root, ["a", "b", "g"]), UnsafeDirectoryError);
      assert.deepEqual(await entries(root), ["a", "new", "top"]);
    });
    await withRootCheck("kernel", async () => {
      assert.deepEqual(await listFilesIn(root), ["a/b/g", "a/f", "new", "top"]);
      await writeFileIn(root, ["a", "b", "h"], bytes("h"));
      await writeFileIn(root, ["c", "d", "i"], bytes("i"));
      await deleteFileIn(root, ["a", "b", "g"]);
      assert.deepEqual(await listFilesIn(root), ["a/b/h", "a/f", "c/d/i", "new", "top"]);
      assert.equal(await Deno.readTextFile(`${root}/c/d/i`), "i");
    });
  },
);

Deno.test({
  name:
    "writeFileIn() and listFilesIn() under the ownership check keep off directories below one another user owns",
  ...AS_ROOT,
  fn: async () => {
    await withRootCheck("ownership", () =>
      withRoot(async (root) => {
        await theirDirectory(root);
        // in their directory itself: the new entry is made there and checked
        await writeFileIn(root, ["theirs", "top"], bytes("top"));
        await assert.rejects(
          writeFileIn(root, ["theirs", "sub", "g"], bytes("g")),
          UnsafeDirectoryError,
        );
        await assert.rejects(
          writeFileIn(root, ["theirs", "new", "g"], bytes("g")),
          UnsafeDirectoryError,
        );
        await assert.rejects(deleteFileIn(root, ["theirs", "sub", "f"]), UnsafeDirectoryError);
        assert.deepEqual(await entries(`${root}/theirs`), ["sub", "top"]);
        assert.deepEqual(await listFilesIn(root), ["theirs/top"]);
      }));
  },
});
