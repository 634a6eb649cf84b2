import assert from "node:assert/strict";
import { randomBytes, serve } from "@jumpstarter/lib/testing";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { MockStorageMuxFlasher } from "./driver.ts";
import { StorageMuxFlasherClient } from "./storage_mux_client.ts";
import { isHttpUrl, openImageSource } from "./source.ts";
import { peek } from "./peek.ts";
import { fileChunks } from "./file_chunks.ts";
import { compressWith, fileDigest, writeImage } from "./_testing/images.ts";
import { tempDir } from "./_testing/fs.ts";

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("peek() returns the first bytes and a stream that still has everything", async () => {
  const chunks = [new Uint8Array([1]), new Uint8Array([2, 3]), new Uint8Array([4, 5, 6, 7, 8, 9])];
  const { head, stream } = await peek(ReadableStream.from(chunks), 4);
  assert.deepEqual(head, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assert.deepEqual(await collect(stream), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const short = await peek(ReadableStream.from([new Uint8Array([7])]), 8);
  assert.deepEqual(short.head, new Uint8Array([7]));
  assert.deepEqual(await collect(short.stream), new Uint8Array([7]));
});

Deno.test("openImageSource() takes the encoding from the name, else from the first bytes", async () => {
  await using dir = await tempDir();
  const named = dir.join("image.bin.xz");
  await Deno.writeFile(named, new Uint8Array([1, 2, 3]));
  const byName = await openImageSource(named);
  assert.equal(byName.encoding, "xz");
  assert.equal(byName.total, 3);
  await byName.stream.cancel();

  const anonymous = dir.join("image.bin");
  await Deno.writeFile(anonymous, new Uint8Array([...XZ_MAGIC, 0, 0]));
  const byBytes = await openImageSource(anonymous);
  assert.equal(byBytes.encoding, "xz");
  assert.deepEqual(await collect(byBytes.stream), new Uint8Array([...XZ_MAGIC, 0, 0]));

  const gz = ReadableStream.from([new Uint8Array([0x1f, 0x8b, 0x08, 0, 0])]);
  assert.equal((await openImageSource(gz)).encoding, "gzip");
  const raw = await openImageSource(ReadableStream.from([new Uint8Array([0x1f, 0x8b, 0x08])]), {
    encoding: null,
  });
  assert.equal(raw.encoding, null);
  assert.equal((await openImageSource(ReadableStream.from([new Uint8Array(4)]))).encoding, null);
  await assert.rejects(openImageSource(dir.join("nope.img")), /Cannot open image .*nope\.img/);
  await assert.rejects(openImageSource(dir.path), /not a regular file/);
});

Deno.test("isHttpUrl() tells URLs from paths", () => {
  assert.ok(isHttpUrl("http://host/a.img"));
  assert.ok(isHttpUrl(new URL("HTTPS://host/a.img")));
  assert.ok(!isHttpUrl("/srv/http/a.img"));
  assert.ok(!isHttpUrl(new URL("file:///a.img")));
});

Deno.test("flash() of an http:// URL: fetched and streamed by the client, or fetched by the exporter", async () => {
  await using dir = await tempDir();
  const raw = dir.join("small.img");
  await writeImage(raw, 3 * 1024 * 1024);
  const xz = await compressWith("xz", raw);
  const expected = await fileDigest(raw);
  const requests: string[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      requests.push(path);
      if (path !== "/images/small.img.xz" && path !== "/images/opaque") {
        return new Response("not here", { status: 404 });
      }
      const file = await Deno.open(xz);
      const { size } = await file.stat();
      return new Response(file.readable, { headers: { "content-length": String(size) } });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}/images`;
  const target = dir.join("sd.img");
  await using served = await serve(
    new MockStorageMuxFlasher({ path: target }),
    StorageMuxFlasherClient,
  );

  let last: number | undefined;
  let total: number | undefined;
  assert.deepEqual(
    await served.client.flash(`${base}/small.img.xz`, {
      onProgress: (progress) => {
        last = progress.transferred;
        total = progress.total;
      },
    }),
    expected,
  );
  const xzSize = (await Deno.stat(xz)).size;
  assert.equal(total, xzSize, "the total comes from Content-Length");
  assert.equal(last, xzSize);

  await Deno.writeFile(target, new Uint8Array());
  // a name without an extension: the exporter recognises xz by its first bytes
  assert.deepEqual(await served.client.flash(`${base}/opaque`, { exporterFetch: true }), expected);
  assert.deepEqual(await fileDigest(target), expected);

  await assert.rejects(
    served.client.flash(`${base}/missing.img`),
    (error: Error) => error instanceof ConnectionError && /HTTP 404/.test(error.message),
  );
  await assert.rejects(
    served.client.flash(`${base}/missing.img`, { exporterFetch: true }),
    /HTTP 404/,
  );
  await assert.rejects(
    served.client.flash(raw, { exporterFetch: true }),
    /the source is not an http\(s\) URL/,
  );
  assert.deepEqual(await fileDigest(target), expected);
  assert.deepEqual(requests, [
    "/images/small.img.xz",
    "/images/opaque",
    "/images/missing.img",
    "/images/missing.img",
  ]);
});

Deno.test("fileChunks() reads a file in full chunks and a short last one, then closes it", async () => {
  await using dir = await tempDir();
  const content = randomBytes(600 * 1024);
  await Deno.writeFile(dir.join("a"), content);
  const sizes: number[] = [];
  const parts: Uint8Array[] = [];
  for await (const chunk of fileChunks(await Deno.open(dir.join("a")), 256 * 1024)) {
    sizes.push(chunk.byteLength);
    parts.push(chunk);
  }
  assert.deepEqual(sizes, [262144, 262144, 90112]);
  assert.deepEqual(await collect(ReadableStream.from(parts)), content);
  await Deno.writeFile(dir.join("empty"), new Uint8Array());
  assert.deepEqual(await collect(fileChunks(await Deno.open(dir.join("empty")))), new Uint8Array());
});
