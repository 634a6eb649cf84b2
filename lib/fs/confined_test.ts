import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { deadlineSignal, waitingFor } from "@jumpstarter/lib/testing";
import { openFileIn } from "./confined.ts";
import {
  isWithin,
  NotRegularFileError,
  OutsideRootError,
  UnsafeDirectoryError,
} from "./confined_paths.ts";
import { checkDirectory } from "./ownership.ts";
import { rootCheck } from "./root_check.ts";
import {
  AS_ROOT,
  OTHER_UID,
  ROOT_CHECKS,
  testInOthersRoot,
  theirDirectory,
  withRoot,
  withRootCheck,
} from "./_testing/roots.ts";

async function text(root: string, segments: string[]): Promise<string> {
  const opened = await openFileIn(root, segments);
  return await new Response(opened.readable()).text();
}

for (const check of ROOT_CHECKS) {
  Deno.test(`openFileIn() (${check} check) follows symlinks that stay inside and refuses those that leave`, async () => {
    await withRootCheck(check, () =>
      withRoot(async (root, outside) => {
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
      }));
  });

  Deno.test(`openFileIn() (${check} check) reads at a position and from an offset, then closes`, async () => {
    await withRootCheck(check, () =>
      withRoot(async (root) => {
        await Deno.writeTextFile(`${root}/f`, "0123456789");
        const opened = await openFileIn(root, ["f"]);
        const buffer = new Uint8Array(4);
        assert.equal(await opened.read(buffer, 3), 4);
        assert.equal(new TextDecoder().decode(buffer), "3456");
        assert.equal(await opened.read(buffer, 10), 0);
        assert.equal(await new Response(opened.readable(7)).text(), "789");
        await opened.close(); // again, after the stream closed it: a no-op
      }));
  });

  Deno.test(`openFileIn() (${check} check) refuses a FIFO without blocking on it`, async () => {
    await withRootCheck(check, () =>
      withRoot(async (root) => {
        const made = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
        assert.ok(made.success, "mkfifo failed");
        await assert.rejects(openFileIn(root, ["pipe"]), NotRegularFileError);
      }));
  });
}

Deno.test("rootCheck() is the kernel check with -A, the ownership check under scoped grants", async () => {
  assert.equal(rootCheck(), "kernel", "the tests run with -A");
  const module = fileURLToPath(new URL("./root_check.ts", import.meta.url));
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { rootCheck } from ${JSON.stringify(module)};\nconsole.log(rootCheck());\n`,
    );
    // read of everything but /proc/self/fd, and of the module only, as a confined exporter
    for (const grant of ["--allow-read", `--allow-read=${script},${dirname(module)}`]) {
      const confined = await waitingFor(
        `a process with ${grant} to say which check it uses`,
        new Deno.Command(Deno.execPath(), {
          args: ["run", "--no-prompt", grant, script],
          stdin: "null",
          signal: deadlineSignal(),
        }).output(),
      );
      const stderr = new TextDecoder().decode(confined.stderr);
      assert.ok(confined.success, stderr);
      assert.equal(new TextDecoder().decode(confined.stdout).trim(), "ownership", grant);
    }
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("openFileIn() below a group-writable directory: the kernel check serves it, the ownership check only a file directly in it", async () => {
  await withRoot(async (root) => {
    await Deno.mkdir(`${root}/shared/sub`, { recursive: true });
    await Deno.writeTextFile(`${root}/shared/top`, "top");
    await Deno.writeTextFile(`${root}/shared/sub/deep`, "deep");
    await Deno.chmod(`${root}/shared`, 0o775);
    await withRootCheck("kernel", async () => {
      assert.equal(await text(root, ["shared", "sub", "deep"]), "deep");
    });
    await withRootCheck("ownership", async () => {
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
});

testInOthersRoot(
  "openFileIn() in a root another user owns, with group-writable subdirectories: the kernel check serves nested files, the ownership check only top-level ones",
  async (root) => {
    await withRootCheck("kernel", async () => {
      assert.equal(await text(root, ["top"]), "top");
      assert.equal(await text(root, ["a", "f"]), "f");
      assert.equal(await text(root, ["a", "b", "g"]), "g");
    });
    await withRootCheck("ownership", async () => {
      assert.equal(await text(root, ["top"]), "top");
      await assert.rejects(openFileIn(root, ["a", "f"]), UnsafeDirectoryError);
      await assert.rejects(openFileIn(root, ["a", "b", "g"]), UnsafeDirectoryError);
    });
  },
);

Deno.test({
  name: "openFileIn() under the ownership check refuses a name below a directory another user owns",
  ...AS_ROOT,
  fn: async () => {
    await withRootCheck("ownership", () =>
      withRoot(async (root) => {
        await theirDirectory(root);
        await Deno.writeTextFile(`${root}/theirs/top`, "top");
        assert.equal(await text(root, ["theirs", "top"]), "top");
        await assert.rejects(openFileIn(root, ["theirs", "sub", "f"]), UnsafeDirectoryError);
        // a sticky directory of root's, but the entry is theirs: they may rename it
        await Deno.chown(`${root}/theirs`, 0, 0);
        await Deno.chmod(`${root}/theirs`, 0o1777);
        await Deno.chown(`${root}/theirs/sub`, OTHER_UID, OTHER_UID);
        await assert.rejects(openFileIn(root, ["theirs", "sub", "f"]), UnsafeDirectoryError);
      }));
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
