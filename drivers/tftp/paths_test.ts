import assert from "node:assert/strict";
import { ErrorCode } from "./packet.ts";
import {
  deleteFromRoot,
  listRoot,
  openServable,
  PathRefusedError,
  rootSegments,
  writeIntoRoot,
} from "./paths.ts";
import { entries, tempDir } from "./_testing/tftp.ts";

const text = new TextEncoder();

function refusedWith(code: number, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof PathRefusedError && error.code === code && pattern.test(error.message);
}

Deno.test("rootSegments keeps names below the root and refuses escapes", () => {
  const root = "/srv/tftp";
  assert.deepEqual(rootSegments(root, "kernel"), ["kernel"]);
  assert.deepEqual(rootSegments(root, "./boot//Image"), ["boot", "Image"]);
  assert.deepEqual(rootSegments(root, "/srv/tftp/boot/Image"), ["boot", "Image"]);
  const violation = ErrorCode.ACCESS_VIOLATION;
  for (const name of ["../etc/passwd", "boot/../../etc/passwd", "a/.."]) {
    assert.throws(() => rootSegments(root, name), refusedWith(violation, /contains "\.\."/));
  }
  for (const name of ["/etc/passwd", "/srv/tftpx/kernel", "/srv"]) {
    assert.throws(() => rootSegments(root, name), refusedWith(violation, /outside the TFTP root/));
  }
  assert.throws(() => rootSegments(root, "/srv/tftp/../tftp/k"), refusedWith(violation, /\.\./));
  assert.throws(() => rootSegments(root, "."), refusedWith(ErrorCode.FILE_NOT_FOUND, /no file/));
  assert.deepEqual(rootSegments("/", "/etc/passwd"), ["etc", "passwd"]);
});

Deno.test("openServable serves files and in-root symlinks, refuses what escapes", async () => {
  await using outside = await tempDir();
  await using dir = await tempDir();
  const root = dir.path;
  await Deno.writeTextFile(`${outside.path}/secret`, "outside");
  await Deno.mkdir(`${root}/boot`);
  await Deno.writeTextFile(`${root}/boot/Image`, "kernel");
  await Deno.symlink(`${root}/boot/Image`, `${root}/Image`);
  await Deno.symlink(`${outside.path}/secret`, `${root}/escape`);
  await Deno.symlink(outside.path, `${root}/outdir`);
  await Deno.symlink("../../..", `${root}/boot/up`);

  const served = await openServable(root, "Image");
  assert.equal(served.size, 6);
  assert.equal(served.realPath, `${root}/boot/Image`);
  assert.equal(await new Response(served.readable()).text(), "kernel");
  const absolute = await openServable(root, `${root}/boot/Image`);
  await absolute.close();

  const violation = ErrorCode.ACCESS_VIOLATION;
  await assert.rejects(openServable(root, "escape"), refusedWith(violation, /resolves outside/));
  await assert.rejects(openServable(root, "outdir/secret"), refusedWith(violation, /outside/));
  await assert.rejects(openServable(root, "boot/up/etc/passwd"), refusedWith(violation, /outside/));
  await assert.rejects(
    openServable(root, `${outside.path}/secret`),
    refusedWith(violation, /outside the TFTP root/),
  );
  const missing = ErrorCode.FILE_NOT_FOUND;
  await assert.rejects(openServable(root, "nope"), refusedWith(missing, /does not exist/));
  await assert.rejects(openServable(root, "boot"), refusedWith(missing, /not a regular file/));
  await assert.rejects(openServable(root, "boot/Image/x"), refusedWith(missing, /does not exist/));
});

Deno.test("openServable refuses a FIFO without blocking on it", async () => {
  await using dir = await tempDir();
  const made = await new Deno.Command("mkfifo", { args: [`${dir.path}/pipe`] }).output();
  assert.equal(made.code, 0);
  await assert.rejects(
    openServable(dir.path, "pipe"),
    refusedWith(ErrorCode.FILE_NOT_FOUND, /not a regular file/),
  );
});

Deno.test("writeIntoRoot stores atomically, makes subdirectories, and stays in the root", async () => {
  await using outside = await tempDir();
  await using dir = await tempDir();
  const root = dir.path;
  const size = await writeIntoRoot(
    root,
    "pxelinux.cfg/default",
    ReadableStream.from([
      text.encode("label linux\n"),
      text.encode("kernel Image\n"),
    ]),
  );
  assert.equal(size, 25);
  assert.equal(
    await Deno.readTextFile(`${root}/pxelinux.cfg/default`),
    "label linux\nkernel Image\n",
  );
  // a transfer reading the old file keeps its bytes: the new file replaces it by rename
  const old = await openServable(root, "pxelinux.cfg/default");
  await writeIntoRoot(root, "pxelinux.cfg/default", ReadableStream.from([text.encode("new")]));
  assert.equal(await new Response(old.readable()).text(), "label linux\nkernel Image\n");
  assert.equal(await Deno.readTextFile(`${root}/pxelinux.cfg/default`), "new");

  await Deno.symlink(outside.path, `${root}/link`);
  await assert.rejects(
    writeIntoRoot(root, "link/evil", ReadableStream.from([text.encode("x")])),
    refusedWith(ErrorCode.ACCESS_VIOLATION, /resolves outside the TFTP root/),
  );
  await assert.rejects(
    writeIntoRoot(root, "../evil", ReadableStream.from([text.encode("x")])),
    refusedWith(ErrorCode.ACCESS_VIOLATION, /\.\./),
  );
  assert.deepEqual(await entries(outside.path), []);
  await assert.rejects(
    writeIntoRoot(root, "pxelinux.cfg", ReadableStream.from([text.encode("x")])),
    refusedWith(ErrorCode.ACCESS_VIOLATION, /is a directory/),
  );
});

Deno.test("a failed upload leaves neither the target nor a temporary file", async () => {
  await using dir = await tempDir();
  const broken = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(text.encode("partial"));
      controller.error(new Error("client went away"));
    },
  });
  await assert.rejects(writeIntoRoot(dir.path, "kernel", broken), /client went away/);
  assert.deepEqual(await entries(dir.path), []);
});

Deno.test("listRoot lists files recursively; deleteFromRoot removes files only", async () => {
  await using outside = await tempDir();
  await using dir = await tempDir();
  const root = dir.path;
  await Deno.writeTextFile(`${outside.path}/keep`, "keep");
  await Deno.mkdir(`${root}/boot/dtbs`, { recursive: true });
  await Deno.writeTextFile(`${root}/boot/Image`, "k");
  await Deno.writeTextFile(`${root}/boot/dtbs/board.dtb`, "d");
  await Deno.writeTextFile(`${root}/.jmp-upload-unfinished`, "");
  await Deno.symlink(`${outside.path}/keep`, `${root}/alias`);
  assert.deepEqual(await listRoot(root), ["alias", "boot/Image", "boot/dtbs/board.dtb"]);

  await deleteFromRoot(root, "alias");
  assert.equal(await Deno.readTextFile(`${outside.path}/keep`), "keep");
  await deleteFromRoot(root, "/" + root.slice(1) + "/boot/Image");
  assert.deepEqual(await listRoot(root), ["boot/dtbs/board.dtb"]);
  await assert.rejects(deleteFromRoot(root, "boot"), refusedWith(2, /is a directory/));
  await assert.rejects(deleteFromRoot(root, "nope"), refusedWith(1, /does not exist/));
  await assert.rejects(deleteFromRoot(root, "../x"), refusedWith(2, /\.\./));
  await assert.rejects(deleteFromRoot(root, `${outside.path}/keep`), refusedWith(2, /outside/));
});
