import assert from "node:assert/strict";
import { ClientRegistry, type ClientResource, type ResourceOptions } from "@jumpstarter/lib/client";
import type { Progress, ResourceHandle } from "@jumpstarter/lib/streams";
import { eventually, randomBytes, serve } from "@jumpstarter/lib/testing";
import { DriverError, DriverTimeoutError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { Digest, digestingSink } from "./digest.ts";
import { MockStorageMux, MockStorageMuxFlasher } from "./driver.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./storage_mux_client.ts";
import { storageMuxFlasherInterface } from "./storage_mux_interface.ts";
import { compressWith, fileDigest, imageSet, writeImage } from "./_testing/images.ts";
import { endlessStream, partialFiles, stagingWritten, tempDir } from "./_testing/fs.ts";

/** A flasher client that records the resource handles the exporter gave it. */
class RecordingClient extends StorageMuxFlasherClient {
  readonly handles: ResourceHandle[] = [];
  override async resource(options?: ResourceOptions): Promise<ClientResource> {
    const resource = await super.resource(options);
    this.handles.push(resource.handle);
    return resource;
  }
}

const recording = new ClientRegistry().register(RecordingClient, storageMuxFlasherInterface.client);

function assertProgress(samples: Progress[], total: number): void {
  assert.ok(samples.length >= 2, `got ${samples.length} progress reports`);
  for (let i = 1; i < samples.length; i++) {
    assert.ok(samples[i]!.transferred >= samples[i - 1]!.transferred, "progress went backwards");
  }
  const last = samples.at(-1)!;
  assert.equal(last.done, true);
  assert.equal(last.transferred, total);
  assert.equal(last.total, total);
}

for (const kind of ["xz", "gz"] as const) {
  Deno.test(`flash() sends a 64 MiB ${kind} image compressed; the exporter decodes it; dump() reads it back`, async () => {
    const images = await imageSet();
    await using dir = await tempDir();
    const target = dir.join("sd.img");
    const driver = new MockStorageMuxFlasher({ path: target });
    await using served = await serve(driver, RecordingClient, { registry: recording });
    const samples: Progress[] = [];
    const result = await served.client.flash(images[kind], {
      onProgress: (progress) => samples.push(progress),
    });
    const expected = { size: images.size, sha256: images.sha256 };
    assert.deepEqual(result, expected);
    assert.deepEqual(await fileDigest(target), expected);
    assert.equal(driver.state, "dut");
    const sent = served.client.handles[0];
    assert.equal(
      sent?.kind === "client_stream" && sent.x_jmp_content_encoding,
      kind === "xz" ? "xz" : "gzip",
    );
    assertProgress(samples, (await Deno.stat(images[kind])).size);

    const dumped = dir.join("dump.img");
    await served.client.dump(dumped);
    assert.deepEqual(await fileDigest(dumped), expected);
    assert.deepEqual(await partialFiles(dir.path), []);
  });
}

Deno.test("flash() decodes bz2 and zstd images made by the real tools", async () => {
  await using dir = await tempDir();
  const raw = dir.join("small.img");
  await writeImage(raw, 3 * 1024 * 1024);
  const expected = await fileDigest(raw);
  const target = dir.join("sd.img");
  await using served = await serve(
    new MockStorageMuxFlasher({ path: target }),
    RecordingClient,
    { registry: recording },
  );
  for (const tool of ["bzip2", "zstd"] as const) {
    await Deno.writeFile(target, new Uint8Array());
    assert.deepEqual(await served.client.flash(await compressWith(tool, raw)), expected);
    assert.deepEqual(await fileDigest(target), expected);
  }
  assert.deepEqual(
    served.client.handles.map((handle) =>
      handle.kind === "client_stream" && handle.x_jmp_content_encoding
    ),
    ["bz2", "zstd"],
  );
});

Deno.test("write() with verify reads the storage back and agrees", async () => {
  const images = await imageSet();
  await using dir = await tempDir();
  await using served = await serve(
    new MockStorageMux({ path: dir.join("sd.img") }),
    StorageMuxClient,
  );
  const result = await served.client.writeLocalFile(images.gz, { verify: true });
  assert.deepEqual(result, { size: images.size, sha256: images.sha256 });
});

Deno.test("a client that aborts mid-upload leaves the storage unchanged; the exporter serves the next write", async () => {
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  const original = randomBytes(1024 * 1024);
  await Deno.writeFile(target, original);
  await using served = await serve(new MockStorageMux({ path: target }), StorageMuxClient);
  await served.client.host();
  using watcher = Deno.watchFs(dir.path);
  const abort = new AbortController();
  const writing = served.client.write(endlessStream(), { encoding: null, signal: abort.signal });
  await stagingWritten(watcher);
  abort.abort(new Error("interrupted by the user"));
  await assert.rejects(writing, /interrupted by the user/);
  assert.deepEqual(await Deno.readFile(target), original);
  assert.deepEqual(await partialFiles(dir.path), []);

  const next = randomBytes(300_000);
  const result = await served.client.write(ReadableStream.from([next]), { encoding: null });
  assert.equal(result?.size, next.byteLength);
  assert.deepEqual(await Deno.readFile(target), next);
});

Deno.test("a write past its timeoutMs fails with DriverTimeoutError and leaves the storage unchanged", async () => {
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  const original = randomBytes(64 * 1024);
  await Deno.writeFile(target, original);
  await using served = await serve(new MockStorageMux({ path: target }), StorageMuxClient);
  await served.client.host();
  await assert.rejects(
    served.client.write(endlessStream(), { encoding: null, timeoutMs: 300 }),
    DriverTimeoutError,
  );
  await eventually("the staging file to be removed", async () => {
    return (await partialFiles(dir.path)).length === 0;
  });
  assert.deepEqual(await Deno.readFile(target), original);
});

Deno.test("aborting a read mid-way rejects with the reason; the next read gets everything", async () => {
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  const content = randomBytes(8 * 1024 * 1024);
  await Deno.writeFile(target, content);
  await using served = await serve(new MockStorageMux({ path: target }), StorageMuxClient);
  const abort = new AbortController();
  const reason = new Error("the caller gave up");
  const firstChunk = new WritableStream<Uint8Array>({ write: () => abort.abort(reason) });
  await assert.rejects(
    served.client.read(firstChunk, { signal: abort.signal }),
    (e) => e === reason,
  );
  const digest = new Digest();
  await served.client.read(digestingSink(digest, content.byteLength), { timeoutMs: 10_000 });
  assert.equal(digest.size, content.byteLength);
  assert.equal(digest.hex(), (await fileDigest(target)).sha256);
});

Deno.test("a client process killed mid-upload leaves the storage unchanged; the exporter serves the next write", async () => {
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  const original = randomBytes(1024 * 1024);
  await Deno.writeFile(target, original);
  await using served = await serve(new MockStorageMux({ path: target }), StorageMuxClient);
  const logs = served.session.logs.subscribe();
  using watcher = Deno.watchFs(dir.path);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_testing/upload_child.ts", import.meta.url).pathname,
      served.address,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    while (!output.includes("sent\n")) {
      const { done, value } = await lines.read();
      if (done) assert.fail(`the upload child exited before sending: ${await stderr}`);
      output += value;
    }
    lines.releaseLock();
    await stagingWritten(watcher);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // it already exited
    }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await stderr;
  }
  for await (const record of logs) {
    if (record.severity === "WARNING" && record.message.startsWith("write to")) break;
  }
  logs.close();
  assert.deepEqual(await Deno.readFile(target), original);
  assert.deepEqual(await partialFiles(dir.path), []);

  const next = randomBytes(70_000);
  await served.client.write(ReadableStream.from([next]), { encoding: null });
  assert.deepEqual(await Deno.readFile(target), next);
});

Deno.test("flash() with a wrong --sha256 fails clearly and keeps the old content", async () => {
  await using dir = await tempDir();
  const raw = dir.join("small.img");
  await writeImage(raw, 2 * 1024 * 1024);
  const gz = await compressWith("gzip", raw);
  const target = dir.join("sd.img");
  const original = randomBytes(4096);
  await Deno.writeFile(target, original);
  const driver = new MockStorageMuxFlasher({ path: target });
  await using served = await serve(driver, StorageMuxFlasherClient);
  const rawSha = (await fileDigest(raw)).sha256;

  await assert.rejects(
    served.client.flash(gz, { sha256: "ab".repeat(32) }),
    (error: Error) =>
      error instanceof InvalidArgumentError &&
      error.message.includes(`expected sha256 ${"ab".repeat(32)}`) &&
      error.message.includes(rawSha) &&
      error.message.includes("left unchanged"),
  );
  assert.deepEqual(await Deno.readFile(target), original);
  assert.equal(driver.state, "dut", "flash hands the storage to the DUT even after a failure");

  // the checksum of the compressed file is a common mix-up: say so
  const ofCompressed = (await fileDigest(gz)).sha256;
  await assert.rejects(
    served.client.flash(gz, { sha256: ofCompressed }),
    /checksum of the decompressed image/,
  );
  assert.deepEqual(await Deno.readFile(target), original);

  const good = await fileDigest(raw);
  assert.deepEqual(await served.client.flash(gz, { sha256: good.sha256.toUpperCase() }), good);
  assert.deepEqual(await fileDigest(target), good);
  assert.deepEqual(await partialFiles(dir.path), []);
});

Deno.test("writing or reading while the storage is on the DUT is refused, without uploading the image", async () => {
  const images = await imageSet();
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  await Deno.writeFile(target, new Uint8Array([1, 2, 3]));
  await using served = await serve(new MockStorageMux({ path: target }), StorageMuxClient);
  await served.client.dut();
  await assert.rejects(
    served.client.writeLocalFile(images.raw),
    (error: Error) => error instanceof DriverError && /connected to the DUT/.test(error.message),
  );
  const dumped = dir.join("dump.img");
  await assert.rejects(served.client.readLocalFile(dumped), /connected to the DUT/);
  await assert.rejects(Deno.stat(dumped), Deno.errors.NotFound);
  assert.deepEqual(await Deno.readFile(target), new Uint8Array([1, 2, 3]));
  assert.deepEqual(await partialFiles(dir.path), []);

  await served.client.host();
  await served.client.write(ReadableStream.from([new Uint8Array([9])]), { encoding: null });
  assert.deepEqual(await Deno.readFile(target), new Uint8Array([9]));
});

Deno.test("write() with verify reports storage that reads back differently", async () => {
  class CorruptingMux extends MockStorageMux {
    override async read(handle: ResourceHandle): Promise<void> {
      await using resource = this.openResource(handle);
      const writer = resource.writable.getWriter();
      await writer.write(new Uint8Array(10).fill(7));
      await writer.close();
    }
  }
  await using dir = await tempDir();
  await using served = await serve(
    new CorruptingMux({ path: dir.join("sd.img") }),
    StorageMuxClient,
  );
  await assert.rejects(
    served.client.write(ReadableStream.from([new Uint8Array(10)]), {
      encoding: null,
      verify: true,
    }),
    /Verification failed: the storage reads back 10 bytes with sha256/,
  );
});

for (const [encoding, tool] of [["gzip", "gzip"], ["xz", "xz"], ["zstd", "zstd"]] as const) {
  Deno.test(`dump() with ${encoding}: the exporter compresses, the real ${tool} tool decompresses`, async () => {
    await using dir = await tempDir();
    const target = dir.join("sd.img");
    await writeImage(target, 2 * 1024 * 1024);
    await using served = await serve(
      new MockStorageMuxFlasher({ path: target }),
      StorageMuxFlasherClient,
    );
    const dumped = dir.join(`dump.img.${encoding}`);
    await served.client.dump(dumped, { encoding });
    assert.ok((await Deno.stat(dumped)).size < 1024 * 1024, "the dump is compressed");
    const decoded = await new Deno.Command(tool, { args: ["-dc", dumped] }).output();
    assert.ok(decoded.success, new TextDecoder().decode(decoded.stderr));
    assert.deepEqual(decoded.stdout, await Deno.readFile(target));
  });
}
