import assert from "node:assert/strict";
import { eventually, randomBytes, serve, sha256Hex } from "@jumpstarter/lib/testing";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { HttpServer, httpServerConfigSchema } from "./driver.ts";
import { HttpServerClient } from "./client.ts";
import { curl } from "./_testing/curl.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

/** Polls `probe` until it returns a value: for state with no event to wait on (a file). */
function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  return eventually("the server's state", probe, { intervalMs: 5 });
}

async function servedServer(root: string) {
  const driver = new HttpServer({ "root_dir": root, host: "127.0.0.1", port: 0 });
  const served = await serve(driver, HttpServerClient);
  await served.client.start();
  return { driver, served, client: served.client, url: await served.client.getUrl() };
}

Deno.test("a file put through the client is served byte-exact to curl, with HEAD and ranges", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served, url } = await servedServer(root);
    await using _ = served;
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const chunks = [data.subarray(0, 1_000_000), data.subarray(1_000_000)];
    const put = await client.putFile("images/disk image.img", ReadableStream.from(chunks));
    assert.equal(put.size, data.byteLength);
    assert.equal(put.url, `${url}/images/disk%20image.img`);

    const got = await curl(put.url);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get("content-length"), String(data.byteLength));
    assert.equal(await sha256Hex(got.body), await sha256Hex(data));

    const head = await curl(put.url, "--head");
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(data.byteLength));
    assert.equal(head.headers.get("accept-ranges"), "bytes");
    // with --head curl writes the headers as its output: nothing may follow them
    assert.ok(new TextDecoder().decode(head.body).endsWith("\r\n\r\n"));

    const part = await curl(put.url, "--range", "1000-1999");
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 1000-1999/${data.byteLength}`);
    assert.deepEqual(part.body, data.subarray(1000, 2000));

    const tail = await curl(put.url, "--range", "-5");
    assert.equal(tail.status, 206);
    assert.deepEqual(tail.body, data.subarray(data.byteLength - 5));

    const beyond = await curl(put.url, "--range", `${data.byteLength}-`);
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("content-range"), `bytes */${data.byteLength}`);

    assert.deepEqual(await client.listFiles(), ["images/disk image.img"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("nothing outside the root is served, whatever the path says", async () => {
  const base = await Deno.makeTempDir();
  const root = `${base}/www`;
  try {
    await Deno.writeTextFile(`${base}/secret`, "secret");
    const { client, served, url } = await servedServer(root);
    await using _ = served;
    await Deno.symlink(`${base}/secret`, `${root}/escape`);
    await Deno.mkdir(`${root}/dir`);
    await client.putFile("dir/inside", new TextEncoder().encode("ok"));
    await Deno.symlink(`${root}/dir/inside`, `${root}/link-inside`);

    for (
      const path of [
        "/../etc/passwd",
        "/../secret",
        "/%2e%2e/secret",
        "/..%2fsecret",
        "/dir/..%2f..%2fsecret",
        "/escape",
        "/dir",
      ]
    ) {
      const got = await curl(`${url}${path}`, "--path-as-is");
      assert.ok(got.status === 403 || got.status === 404, `${path} answered ${got.status}`);
      assert.ok(!new TextDecoder().decode(got.body).includes("secret"), path);
      assert.ok(!new TextDecoder().decode(got.body).includes("root:"), path);
    }
    assert.equal((await curl(`${url}/../etc/passwd`, "--path-as-is")).status, 403);
    assert.equal((await curl(`${url}/dir/`)).status, 404);
    assert.equal((await curl(`${url}/link-inside`)).status, 200);
    assert.equal((await curl(`${url}/dir/inside`, "--request", "DELETE")).status, 405);
    assert.equal((await curl(`${url}/dir/inside`)).status, 200);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a deleted file is gone: 404 from curl and absent from the list", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served, url } = await servedServer(root);
    await using _ = served;
    await client.putFile("a.txt", new TextEncoder().encode("first"));
    await client.putFile("a.txt", new TextEncoder().encode("second"));
    assert.equal(new TextDecoder().decode((await curl(`${url}/a.txt`)).body), "second");
    await client.deleteFile("a.txt");
    assert.equal((await curl(`${url}/a.txt`)).status, 404);
    assert.deepEqual(await client.listFiles(), []);
    await assert.rejects(
      client.deleteFile("a.txt"),
      (e: Error) => e instanceof InvalidArgumentError && /no such file/.test(e.message),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("20 concurrent curls each get the whole file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served } = await servedServer(root);
    await using _ = served;
    const data = randomBytes(1024 * 1024);
    const { url } = await client.putFile("blob.bin", data);
    const expected = await sha256Hex(data);
    const results = await Promise.all(Array.from({ length: 20 }, () => curl(url)));
    for (const result of results) {
      assert.equal(result.status, 200);
      assert.equal(await sha256Hex(result.body), expected);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an upload in progress is invisible, and a broken one leaves nothing", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served, url } = await servedServer(root);
    await using _ = served;
    await client.putFile("image.img", new TextEncoder().encode("old"));

    let push!: ReadableStreamDefaultController<Uint8Array>;
    const source = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
    const uploading = client.putFile("image.img", source);
    const fresh = client.putFile("new.img", ReadableStream.from([new Uint8Array(10)]));
    await fresh;
    push.enqueue(new Uint8Array(100_000));
    // the partial upload exists only as a hidden temporary file
    const temporary = await waitFor(async () => {
      for await (const entry of Deno.readDir(root)) {
        if (!entry.name.startsWith(".jmp-upload-")) continue;
        const { size } = await Deno.stat(`${root}/${entry.name}`);
        if (size === 100_000) return entry.name;
      }
    });
    assert.equal((await curl(`${url}/${temporary}`)).status, 404);
    assert.equal(new TextDecoder().decode((await curl(`${url}/image.img`)).body), "old");
    assert.deepEqual(await client.listFiles(), ["image.img", "new.img"]);
    push.error(new Error("client went away"));
    await assert.rejects(uploading);

    const left = (await Array.fromAsync(Deno.readDir(root))).map((e) => e.name).sort();
    assert.deepEqual(left, ["image.img", "new.img"]);
    assert.equal(new TextDecoder().decode((await curl(`${url}/image.img`)).body), "old");
    // the exporter keeps serving
    await client.putFile("image.img", new TextEncoder().encode("new"));
    assert.equal(new TextDecoder().decode((await curl(`${url}/image.img`)).body), "new");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("aborting putFile rejects with the reason and keeps the old file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served, url } = await servedServer(root);
    await using _ = served;
    await client.putFile("image.img", new TextEncoder().encode("old"));
    const sourceCancelled = Promise.withResolvers<unknown>();
    const source = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new Uint8Array(100_000)),
      cancel: (reason) => sourceCancelled.resolve(reason),
    });
    const abort = new AbortController();
    const uploading = client.putFile("image.img", source, { signal: abort.signal });
    const uploads = async () =>
      (await Array.fromAsync(Deno.readDir(root))).filter((e) => e.name.startsWith(".jmp-upload-"));
    // the first bytes reached the exporter's temporary file
    await waitFor(async () => {
      for (const entry of await uploads()) {
        if ((await Deno.stat(`${root}/${entry.name}`)).size === 100_000) return true;
      }
    });
    const reason = new Error("the caller gave up");
    abort.abort(reason);
    await assert.rejects(uploading, (error) => error === reason);
    assert.equal(await sourceCancelled.promise, reason);
    await waitFor(async () => (await uploads()).length === 0 || undefined);
    assert.equal(new TextDecoder().decode((await curl(`${url}/image.img`)).body), "old");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bad names are refused and the uploads behind them released", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served, driver } = await servedServer(root);
    await using _ = served;
    for (const name of ["../escape", "/etc/passwd", "a//b", "", ".jmp-upload-x"]) {
      await assert.rejects(
        client.putFile(name, new Uint8Array(100_000)),
        (e: Error) => e instanceof InvalidArgumentError && /Invalid file name/.test(e.message),
        JSON.stringify(name),
      );
      await assert.rejects(client.deleteFile(name), InvalidArgumentError);
    }
    assert.equal(driver.resources.size, 0);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(root)), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("start and stop: idempotent with a warning, stop closes the port", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served, driver, url } = await servedServer(root);
    await using _ = served;
    const warnings: string[] = [];
    driver.logger.setSink((r) => r.severity === "WARNING" && warnings.push(r.message));
    assert.equal(await client.getHost(), "127.0.0.1");
    const port = await client.getPort();
    assert.ok(port > 0);
    assert.equal(url, `http://127.0.0.1:${port}`);
    await client.start();
    assert.deepEqual(warnings, ["HTTP server is already running."]);
    await client.putFile("f", new TextEncoder().encode("x"));
    assert.equal((await curl(`${url}/f`)).status, 200);
    await client.stop();
    const refused = await curl(`${url}/f`);
    assert.equal(refused.status, 0);
    assert.equal(refused.code, 7, "curl: failed to connect");
    await client.stop();
    assert.deepEqual(warnings, ["HTTP server is already running.", "HTTP server is not running."]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a port in use gives a clear error and the exporter keeps serving", async () => {
  const root = await Deno.makeTempDir();
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (blocker.addr as Deno.NetAddr).port;
    const driver = new HttpServer({ "root_dir": root, host: "127.0.0.1", port });
    await using served = await serve(driver, HttpServerClient);
    await assert.rejects(
      served.client.start(),
      (e: Error) => e.message.includes(`Cannot start the HTTP server on 127.0.0.1:${port}`),
    );
    assert.equal(await served.client.getPort(), port);
  } finally {
    blocker.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("closing the session stops the server", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { served, url } = await servedServer(root);
    await served.close();
    assert.equal((await curl(`${url}/x`)).code, 7);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the config schema mirrors upstream and is registered under its class path", async () => {
  const type = driverRegistry.get("jumpstarter_driver_http.driver.HttpServer");
  assert.equal(type?.name, "HttpServer");
  assert.deepEqual(httpServerConfigSchema.parse({}), {
    "root_dir": "/var/www",
    host: null,
    port: 8080,
    timeout: 600,
  });
  const bad = httpServerConfigSchema.safeParse({ port: 70000 });
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0]!.message, /65535/);
  assert.equal(httpServerConfigSchema.safeParse({ "root": "/x" }).success, false);

  const base = await Deno.makeTempDir();
  try {
    const driver = type!.create({ "root_dir": `${base}/a/b`, host: null, port: 0 }, {});
    assert.ok((await Deno.stat(`${base}/a/b`)).isDirectory, "root_dir is created");
    assert.ok((driver as HttpServer).host.length > 0);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("stop() cuts off a download in progress instead of waiting for it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { client, served } = await servedServer(root);
    await using _ = served;
    const size = 64 * 1024 * 1024;
    const file = await Deno.open(`${root}/big.img`, { create: true, write: true });
    await file.truncate(size);
    file.close();
    const response = await fetch(`${await client.getUrl()}/big.img`);
    assert.equal(response.headers.get("content-length"), String(size));
    const reader = response.body!.getReader();
    let received = (await reader.read()).value!.byteLength;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("stop() waited for the download")), 10_000);
    });
    await Promise.race([client.stop(), late]).finally(() => clearTimeout(timer));
    const rest = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return "complete";
        received += value.byteLength;
      }
    })();
    await assert.rejects(rest);
    assert.ok(received < size, `received ${received} of ${size} bytes`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
