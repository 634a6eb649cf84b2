/**
 * The Opendal driver through a real session and the typed client, on the real OpenDAL binding:
 * the `fs` service on a temporary directory and the `memory` service (upstream's driver_test
 * cases: bytes, paths, seek/tell, file flags, metadata, copy/rename, dirs, list/scan shapes).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { randomBytes, serve } from "@jumpstarter/lib/testing";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { Opendal, type OpendalConfig } from "./opendal_driver.ts";
import { OpendalClient } from "./opendal_client.ts";
import { tempDir } from "./_testing/fs.ts";

const text = (data: Uint8Array) => new TextDecoder().decode(data);
const bytes = (value: string) => new TextEncoder().encode(value);

async function serveOpendal(config: OpendalConfig) {
  const driver = new Opendal(config);
  const served = await serve(driver, OpendalClient);
  return { driver, client: served.client, [Symbol.asyncDispose]: () => served.close() };
}

async function collect(entries: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const entry of entries) all.push(entry);
  return all.sort();
}

Deno.test("Opendal fs: bytes, files on disk, metadata, hash, copy, rename, delete", async () => {
  await using dir = await tempDir();
  await using served = await serveOpendal({ scheme: "fs", kwargs: { root: dir.path } });
  const { client } = served;

  await client.writeBytes("a/file.txt", bytes("content"));
  assert.equal(await Deno.readTextFile(dir.join("a/file.txt")), "content");
  assert.equal(text(await client.readBytes("a/file.txt")), "content");
  assert.equal(await client.exists("a/file.txt"), true);
  assert.equal(await client.exists("missing.txt"), false);

  const metadata = await client.stat("a/file.txt");
  assert.equal(metadata.content_length, 7);
  assert.deepEqual(metadata.mode, { is_file: true, is_dir: false });
  assert.deepEqual((await client.stat("a/")).mode, { is_file: false, is_dir: true });

  // upstream's docstring value for b"content"
  assert.equal(
    await client.hash("a/file.txt"),
    "ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73",
  );
  assert.equal(
    await client.hash("a/file.txt", "md5"),
    createHash("md5").update("content").digest("hex"),
  );

  await client.copy("a/file.txt", "copy.txt");
  assert.equal(await Deno.readTextFile(dir.join("copy.txt")), "content");
  await client.rename("copy.txt", "renamed.txt");
  assert.equal(await client.exists("copy.txt"), false);
  assert.equal(await client.exists("renamed.txt"), true);
  await client.delete("renamed.txt");
  assert.equal(await client.exists("renamed.txt"), false);
  await client.delete("renamed.txt"); // a missing path is not an error
  assert.deepEqual(await client.getCreatedResources(), ["a/file.txt"]);
});

Deno.test("Opendal fs: directories, list and scan have upstream's shapes", async () => {
  await using dir = await tempDir();
  await using served = await serveOpendal({ scheme: "fs", kwargs: { root: dir.path } });
  const { client } = served;

  await client.createDir("a/b/c/");
  assert.equal(await client.exists("a/b/c/"), true);
  await client.writeBytes("d/file.txt", bytes("x"));
  await client.writeBytes("d/another.txt", bytes("y"));
  assert.deepEqual(await collect(client.list("/")), ["/", "a/", "d/"]);
  assert.deepEqual(await collect(client.list("d/")), ["d/", "d/another.txt", "d/file.txt"]);
  assert.deepEqual(await collect(client.scan("a/")), ["a/", "a/b/", "a/b/c/"]);
  await client.removeAll("d/");
  assert.equal(await client.exists("d/file.txt"), false);
});

Deno.test("Opendal fs: open files seek, tell and report their flags", async () => {
  await using dir = await tempDir();
  await using served = await serveOpendal({ scheme: "fs", kwargs: { root: dir.path } });
  const { client } = served;

  const writer = await client.open("seek.txt", "wb");
  assert.equal(await writer.writable(), true);
  assert.equal(await writer.readable(), false);
  assert.equal(await writer.seekable(), false);
  await writer.writeBytes(bytes("0123"));
  await writer.writeBytes(bytes("456789"));
  await writer.close();
  assert.equal(await writer.closed(), true);
  assert.equal(await writer.writable(), false);
  assert.equal(await Deno.readTextFile(dir.join("seek.txt")), "0123456789");

  const reader = await client.open("seek.txt", "rb");
  assert.equal(await reader.readable(), true);
  assert.equal(await reader.seekable(), true);
  assert.equal(await reader.closed(), false);
  assert.equal(await reader.seek(4), 4);
  assert.equal(await reader.tell(), 4);
  assert.equal(text(await reader.readBytes()), "456789");
  assert.equal(await reader.tell(), 10);
  assert.equal(await reader.seek(-3, 2), 7);
  assert.equal(text(await reader.readBytes()), "789");
  assert.equal(await reader.seek(1), 1); // backwards: the reader is re-opened
  assert.equal(await reader.seek(2, 1), 3);
  assert.equal(text(await reader.readBytes()), "3456789");
  await reader.close();
  assert.equal(await reader.closed(), true);
  await assert.rejects(reader.readBytes(), (error: unknown) => {
    assert.ok(error instanceof DriverError);
    assert.match(error.message, /seek\.txt: the file is closed/);
    return true;
  });
});

Deno.test("Opendal fs: a 5 MiB file through write_from_path and read_into_path", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(dir.join("root"));
  await using served = await serveOpendal({ scheme: "fs", kwargs: { root: dir.join("root") } });
  const data = randomBytes(5 * 1024 * 1024 + 17);
  await Deno.writeFile(dir.join("local.bin"), data);
  await served.client.writeFromPath("remote/image.bin", dir.join("local.bin"));
  assert.deepEqual(await Deno.readFile(dir.join("root/remote/image.bin")), data);
  await served.client.readIntoPath("remote/image.bin", dir.join("back.bin"));
  assert.deepEqual(await Deno.readFile(dir.join("back.bin")), data);

  await assert.rejects(
    served.client.writeFromPath("remote/none.bin", dir.join("missing.bin")),
    (error: unknown) =>
      error instanceof Deno.errors.NotFound &&
      error.message === `Cannot read local file ${dir.join("missing.bin")}: no such file`,
  );
  assert.equal(await served.client.exists("remote/none.bin"), false);
});

Deno.test("Opendal memory: the same calls on the memory service", async () => {
  await using served = await serveOpendal({ scheme: "memory", kwargs: {} });
  const { client } = served;
  await client.writeBytes("dir/file.txt", bytes("content"));
  assert.equal(text(await client.readBytes("dir/file.txt")), "content");
  assert.equal((await client.stat("dir/file.txt")).content_length, 7);
  assert.equal(
    await client.hash("dir/file.txt"),
    "ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73",
  );
  assert.deepEqual(await collect(client.scan("/")), ["dir/file.txt"]);
  const capability = await client.capability();
  assert.equal(capability.read, true);
  assert.equal(capability.copy, false);
  assert.equal(capability.presign_read, false);
  assert.equal(Object.keys(capability).length, 33);
  await assert.rejects(client.copy("dir/file.txt", "other.txt"), (error: unknown) => {
    assert.ok(error instanceof DriverError);
    assert.equal(
      error.message,
      'Cannot copy "dir/file.txt" to "other.txt" in memory: operation is not supported (Unsupported)',
    );
    return true;
  });
  await client.delete("dir/file.txt");
  assert.equal(await client.exists("dir/file.txt"), false);
});

Deno.test("Opendal: a missing file, a bad scheme and a path out of the fs root are one clear line", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(dir.join("root"));
  await Deno.writeTextFile(dir.join("secret.txt"), "outside");
  await Deno.symlink(dir.path, dir.join("root/link"));
  await using served = await serveOpendal({ scheme: "fs", kwargs: { root: dir.join("root") } });
  const { client } = served;

  await assert.rejects(client.readBytes("missing.txt"), (error: unknown) => {
    assert.ok(error instanceof DriverError);
    assert.match(
      error.message,
      /^Cannot open for reading "missing\.txt" in fs:\S+: entity not found, source: No such file or directory \(os error 2\) \(NotFound\)$/,
    );
    return true;
  });
  for (const path of ["../secret.txt", "a/../../secret.txt", "link/secret.txt"]) {
    await assert.rejects(client.readBytes(path), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, `${path}: ${error}`);
      assert.equal(
        error.message,
        `Invalid path "${path}": it leads out of the fs root ${dir.join("root")}`,
      );
      return true;
    });
  }
  await assert.rejects(client.writeBytes("../escape.txt", bytes("x")), InvalidArgumentError);
  await assert.rejects(Deno.stat(dir.join("escape.txt")), Deno.errors.NotFound);
  // `..` that stays inside is fine
  await client.writeBytes("a/../inside.txt", bytes("ok"));
  assert.equal(await Deno.readTextFile(dir.join("root/inside.txt")), "ok");

  assert.throws(() => new Opendal({ scheme: "nosuch", kwargs: {} }), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.equal(
      error.message,
      'Cannot use OpenDAL scheme "nosuch": scheme is not enabled or supported',
    );
    return true;
  });
});

Deno.test("Opendal http: presign_read is a GET and presign_stat a HEAD, as upstream's test", async () => {
  await using served = await serveOpendal({
    scheme: "http",
    kwargs: { endpoint: "http://invalid.invalid", root: "/" },
  });
  const read = await served.client.presignRead("test", 100);
  assert.deepEqual(read, { url: "http://invalid.invalid/test", method: "GET", headers: {} });
  const stat = await served.client.presignStat("test", 100);
  assert.deepEqual(stat, { url: "http://invalid.invalid/test", method: "HEAD", headers: {} });
});

Deno.test("Opendal s3: configured as upstream, presigns without contacting anything", async () => {
  await using served = await serveOpendal({
    scheme: "s3",
    kwargs: {
      bucket: "images",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      "access_key_id": "AKIDEXAMPLE",
      "secret_access_key": "secret",
    },
  });
  const request = await served.client.presignWrite("board/image.raw", 60);
  assert.equal(request.method, "PUT");
  const url = new URL(request.url);
  assert.equal(`${url.origin}${url.pathname}`, "http://127.0.0.1:9/images/board/image.raw");
  assert.equal(url.searchParams.get("X-Amz-Expires"), "60");
  assert.equal((await served.client.capability()).presign_write, true);
});

Deno.test("Opendal remove_created_on_close removes what the session created, nothing else", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(dir.join("kept.txt"), "there before");
  {
    await using served = await serveOpendal({
      scheme: "fs",
      kwargs: { root: dir.path },
      "remove_created_on_close": true,
    });
    await served.client.writeBytes("boot/kernel", bytes("k"));
    await served.client.createDir("tmp/nested/");
    await served.client.copy("kept.txt", "copy.txt");
    assert.deepEqual(await served.client.getCreatedResources(), [
      "boot/kernel",
      "copy.txt",
      "tmp/nested",
    ]);
  }
  const names = async (path: string) =>
    (await Array.fromAsync(Deno.readDir(path))).map((e) => e.name).sort();
  // the parents OpenDAL made on the way are not tracked, as upstream
  assert.deepEqual(await names(dir.path), ["boot", "kept.txt", "tmp"]);
  assert.deepEqual(await names(dir.join("boot")), []);
  assert.deepEqual(await names(dir.join("tmp")), []);
  assert.equal(await Deno.readTextFile(dir.join("kept.txt")), "there before");
});

Deno.test("Opendal: a failed read into a local path leaves neither file, staging file nor descriptor", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(dir.join("root"));
  await Deno.mkdir(dir.join("local"));
  await using served = await serveOpendal({ scheme: "fs", kwargs: { root: dir.join("root") } });
  await served.client.writeBytes("data.txt", bytes("data"));
  const reader = await served.client.open("data.txt", "rb");
  await reader.close();
  await assert.rejects(reader.readIntoPath(dir.join("local/back.txt")), /the file is closed/);
  await assert.rejects(
    served.client.readIntoPath("missing.txt", dir.join("local/back.txt")),
    /Cannot open for reading "missing\.txt"/,
  );
  await assert.rejects(
    served.client.readIntoPath("data.txt", dir.join("local/none/back.txt")),
    (error: unknown) =>
      error instanceof Deno.errors.NotFound &&
      error.message === `Cannot write local file ${dir.join("local/none/back.txt")}: directory ` +
          `${dir.join("local/none")} does not exist`,
  );
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.join("local"))), []);
  // the test's resource sanitizer fails it if a staging file was left open
});
