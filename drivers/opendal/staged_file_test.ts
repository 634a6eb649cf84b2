import assert from "node:assert/strict";
import { writeStaged } from "./staged_file.ts";
import { partialFiles, tempDir } from "./_testing/fs.ts";

Deno.test("staged write: a file write failing while the next chunk is awaited fails the write and keeps the target", async () => {
  await using dir = await tempDir();
  const target = `${dir.path}/disk.img`;
  await Deno.writeTextFile(target, "previous image");
  const write = Deno.FsFile.prototype.write;
  // the disk fills up: every write to the staging file fails, after a moment
  Deno.FsFile.prototype.write = function () {
    return new Promise((_, reject) =>
      setTimeout(() => reject(new Deno.errors.WriteZero("No space left on device")), 5)
    );
  };
  const data = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // the failure lands while the writer waits here for more bytes
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.enqueue(new Uint8Array(1024).fill(1));
    },
  });
  try {
    await assert.rejects(writeStaged(target, data), /No space left on device/);
  } finally {
    Deno.FsFile.prototype.write = write;
  }
  assert.equal(await Deno.readTextFile(target), "previous image", "the target is left alone");
  assert.deepEqual(await partialFiles(dir.path), [], "the staging file is removed");
});
