/**
 * Upstream's `put_file` path into Tftp and HttpServer: their `storage` child (an Opendal `fs`
 * over the served root) receives a file through open/file_write/file_close, and the real
 * servers then hand the same bytes out (tftp-hpa's `tftp`, `fetch`). Driven by our client and by
 * upstream HEAD's client library.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { randomBytes, serve } from "@jumpstarter/lib/testing";
import { driverPackage as tftpPackage } from "@jumpstarter/driver-tftp/package";
import { driverPackage as httpPackage } from "@jumpstarter/driver-http/package";
import { TftpClient } from "@jumpstarter/driver-tftp";
import { HttpServerClient } from "@jumpstarter/driver-http";
import { tftpHpaGet } from "../tftp/_testing/tftp.ts";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { driverPackage } from "./package.ts";
import { OpendalClient } from "./opendal_client.ts";
import { tempDir } from "./_testing/fs.ts";

const PACKAGES = [driverPackage, tftpPackage, httpPackage];

async function serveServers(tftpRoot: string, httpRoot: string) {
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  tftp:
    type: jumpstarter_driver_tftp.driver.Tftp
    config: { root_dir: ${JSON.stringify(tftpRoot)}, host: 127.0.0.1, port: 0 }
  http:
    type: jumpstarter_driver_http.driver.HttpServer
    config: { root_dir: ${JSON.stringify(httpRoot)}, host: 127.0.0.1, port: 0 }
`;
  const root = await buildDriverTree(parseExporterConfig(config, "servers.yaml"), {
    registry: driverRegistryOf(PACKAGES),
  });
  return await serve(root, undefined, { registry: clientRegistryOf(PACKAGES) });
}

/** Fetches `name` from the running TFTP server with tftp-hpa and returns its bytes. */
async function tftpGet(tftp: TftpClient, name: string, dir: string): Promise<Uint8Array> {
  const local = join(dir, `tftp-got-${crypto.randomUUID()}`);
  const ran = await tftpHpaGet(await tftp.getPort(), name, local);
  assert.equal(ran.code, 0, `tftp get ${name}: ${ran.stdout}${ran.stderr}`);
  return await Deno.readFile(local);
}

async function httpGet(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200, `GET ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

Deno.test("our client puts files into Tftp and HttpServer through their storage child", async () => {
  await using dir = await tempDir();
  const image = randomBytes(3 * 1024 * 1024 + 5);
  await Deno.writeFile(dir.join("kernel.img"), image);
  await using served = await serveServers(dir.join("tftp"), dir.join("www"));

  const tftp = served.client.child("tftp", TftpClient);
  await tftp.child("storage", OpendalClient).writeFromPath(
    "boot/kernel.img",
    dir.join("kernel.img"),
  );
  await tftp.start();
  assert.deepEqual(await tftpGet(tftp, "boot/kernel.img", dir.path), image);

  const http = served.client.child("http", HttpServerClient);
  const storage = http.child("storage", OpendalClient);
  await storage.writeFromPath("images/disk.img", dir.join("kernel.img"));
  assert.equal(
    await storage.hash("images/disk.img"),
    await tftp.child("storage", OpendalClient).hash("boot/kernel.img"),
  );
  await http.start();
  assert.deepEqual(await httpGet(`${await http.getUrl()}/images/disk.img`), image);

  await assert.rejects(
    storage.writeBytes("../outside.txt", new Uint8Array([1])),
    /Invalid path "\.\.\/outside\.txt": it leads out of the fs root/,
  );
});

// Upstream's jumpstarter_driver_opendal (and so its Tftp/HTTP clients) needs the `opendal` Python
// binding, which the offline upstream install lacks: its client classes resolve to stubs. The
// script drives the storage child with upstream's own DriverClient and resource streams, making
// the calls upstream's OpendalFile.write_from_path makes (open, file_write, file_close).
const UPSTREAM_PUT = `
import json, sys
from anyio import EndOfStream
from anyio.abc import ObjectStream
from jumpstarter.client import DriverClient
from jumpstarter.common.utils import env

class LocalFileStream(ObjectStream[bytes]):
    def __init__(self, path):
        self.file = open(path, "rb")
    async def receive(self):
        data = self.file.read(65536)
        if not data:
            raise EndOfStream
        return data
    async def send(self, item):
        raise RuntimeError("read-only")
    async def send_eof(self):
        pass
    async def aclose(self):
        self.file.close()

def plain(stub):
    return DriverClient(uuid=stub.uuid, labels=stub.labels, stub=stub.stub,
                        portal=stub.portal, stack=stub.stack)

def put_file(storage, dst, src):
    fd = storage.call("open", dst, "wb")
    with storage.portal.wrap_async_context_manager(LocalFileStream(src)) as stream:
        with storage.portal.wrap_async_context_manager(storage.resource_async(stream)) as handle:
            storage.call("file_write", fd, handle)
    storage.call("file_close", fd)
    return {"closed": storage.call("file_closed", fd), "stat": storage.call("stat", dst),
            "hash": storage.call("hash", dst)}

src = sys.argv[1]
with env() as client:
    out = {}
    for server, dst in (("tftp", "upstream/kernel.img"), ("http", "upstream/disk.img")):
        storage = plain(client.children[server].children["storage"])
        out[server] = put_file(storage, dst, src)
        out[server]["label"] = storage.labels["jumpstarter.dev/client"]
    print("RESULT " + json.dumps(out))
`;

Deno.test("upstream HEAD's client puts a file into Tftp and HttpServer through storage", async () => {
  const peer = upstreamPeer("head");
  await using dir = await tempDir();
  const image = randomBytes(2 * 1024 * 1024 + 3);
  await Deno.writeFile(dir.join("image.bin"), image);
  await using served = await serveServers(dir.join("tftp"), dir.join("www"));

  const output = await new Deno.Command(peer.python, {
    args: ["-c", UPSTREAM_PUT, dir.join("image.bin")],
    env: { ...peer.env, JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" },
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, `upstream client failed:\n${stderr}`);
  // upstream's progress bar shares stdout
  const stdout = new TextDecoder().decode(output.stdout);
  const line = stdout.split("\n").find((text) => text.startsWith("RESULT "));
  assert.ok(line, `no RESULT line from the upstream client:\n${stdout}\n${stderr}`);
  const result = JSON.parse(line.slice("RESULT ".length));
  const expectedHash = createHash("sha256").update(image).digest("hex");
  for (const server of ["tftp", "http"]) {
    assert.equal(result[server].label, "jumpstarter_driver_opendal.client.OpendalClient");
    assert.equal(result[server].closed, true);
    assert.equal(result[server].stat.content_length, image.byteLength);
    assert.deepEqual(result[server].stat.mode, { is_file: true, is_dir: false });
    assert.equal(result[server].hash, expectedHash);
  }

  const tftp = served.client.child("tftp", TftpClient);
  await tftp.start();
  assert.deepEqual(await tftpGet(tftp, "upstream/kernel.img", dir.path), image);
  const http = served.client.child("http", HttpServerClient);
  await http.start();
  assert.deepEqual(await httpGet(`${await http.getUrl()}/upstream/disk.img`), image);
});
