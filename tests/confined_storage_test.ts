/**
 * The opendal package's drivers served by an exporter running under exactly the grants
 * `jmp-exporter permissions` prints: an `fs` Opendal (its root), MockFlasher and the storage mux
 * mocks (a medium file's directory, or the temporary directory), each written and read back
 * through `j`; and an `s3` Opendal against moto's S3 server, served by `jmp run` with no net
 * grant (OpenDAL's native library makes its requests where Deno's flags do not reach) and its
 * credentials from the variables its grants name; a flasher unpacking an OCI layout bundle into
 * its cache and its TFTP root (its servers given as children, with a host: scoped grants).
 */
import assert from "node:assert/strict";
import { tempDirectory } from "@jumpstarter/lib/driver";
import { serveConfined } from "./_permissions.ts";
import { startMotoS3 } from "../drivers/opendal/_testing/moto.ts";
import { S3_VARIABLES } from "@jumpstarter/driver-opendal/package";
import type { BaseFlasherClient } from "@jumpstarter/driver-flashers";
import { FLS_PATHS } from "@jumpstarter/driver-flashers/driver";
import { openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { clientRegistry } from "../cli/driver_packages.ts";
import { FILES, writeOciLayout, writeTestBundle } from "../drivers/flashers/_testing/bundle.ts";

/** A 64 KiB image of counting bytes, written to `path`. */
async function writeImage(path: string): Promise<Uint8Array> {
  const image = Uint8Array.from({ length: 65536 }, (_, index) => index % 251);
  await Deno.writeFile(path, image);
  return image;
}

Deno.test("Opendal fs, MockFlasher and the storage mux mocks serve under exactly the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-storage-" });
  try {
    await Deno.mkdir(`${dir}/store`);
    await Deno.mkdir(`${dir}/media`);
    const image = await writeImage(`${dir}/image.bin`);
    await using served = await serveConfined(
      dir,
      "  store:\n    type: Opendal\n" +
        `    config: { scheme: fs, kwargs: { root: ${dir}/store } }\n` +
        "  flasher:\n    type: MockFlasher\n" +
        `  card:\n    type: MockStorageMuxFlasher\n    config: { path: ${dir}/media/card.img }\n` +
        "  stick:\n    type: MockStorageMux\n",
    );
    const tmp = tempDirectory();
    assert.deepEqual(
      Object.fromEntries(
        ["store", "flasher", "card", "stick"].map((path) => [path, served.grantsOf(path)]),
      ),
      {
        store: { read: [`${dir}/store`] },
        flasher: { read: [tmp], write: [tmp] },
        card: { read: [`${dir}/media`], write: [`${dir}/media`] },
        stick: { read: [tmp], write: [tmp] },
      },
    );

    await served.j(["store", "write-from-path", "images/a.bin", `${dir}/image.bin`]);
    assert.deepEqual(await Deno.readFile(`${dir}/store/images/a.bin`), image);
    await served.j(["store", "read-into-path", "images/a.bin", `${dir}/a.back`]);
    assert.deepEqual(await Deno.readFile(`${dir}/a.back`), image);

    await served.j(["flasher", "flash", `${dir}/image.bin`]);
    await served.j(["flasher", "dump", `${dir}/flasher.back`]);
    assert.deepEqual(await Deno.readFile(`${dir}/flasher.back`), image);

    await served.j(["card", "flash", `${dir}/image.bin`]);
    assert.deepEqual(await Deno.readFile(`${dir}/media/card.img`), image);

    await served.j(["stick", "write-local-file", `${dir}/image.bin`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Opendal s3 serves with no grant but its variables: OpenDAL's requests are native, outside Deno's flags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-s3-" });
  try {
    await using s3 = await startMotoS3();
    const image = await writeImage(`${dir}/image.bin`);
    // its credentials from the environment: jmp run passes on only the variables granted
    await using served = await serveConfined(
      dir,
      "  s3:\n    type: Opendal\n    config:\n      scheme: s3\n" +
        `      kwargs: { bucket: ${s3.bucket}, region: us-east-1, endpoint: "${s3.endpoint}" }\n`,
      { env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" }, byJmpRun: true },
    );
    assert.deepEqual(served.grantsOf("s3"), { env: S3_VARIABLES });
    await served.j(["s3", "write-from-path", "os.img", `${dir}/image.bin`]);
    assert.deepEqual(await s3.object("os.img"), image);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("A flasher sets up an OCI layout bundle under exactly the printed grants: bundle, cache and its servers' roots", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-flasher-" });
  try {
    await writeTestBundle(`${dir}/bundle`);
    await writeOciLayout(`${dir}/layout`, `${dir}/bundle`);
    await using served = await serveConfined(
      dir,
      "  power:\n    type: MockPower\n" +
        "  storage:\n    type: BaseFlasher\n    config:\n" +
        `      { flasher_bundle: "oci:${dir}/layout", cache_dir: ${dir}/cache,\n` +
        `        tftp_dir: ${dir}/tftp, http_dir: ${dir}/www }\n` +
        "    children:\n      serial: { ref: power }\n      power: { ref: power }\n" +
        `      tftp: { type: Tftp, config: { root_dir: ${dir}/tftp, host: 127.0.0.1, port: 0 } }\n` +
        `      http: { type: HttpServer, config: { root_dir: ${dir}/www, host: 127.0.0.1, port: 0 } }\n`,
    );
    assert.deepEqual(served.grantsOf("storage"), {
      read: [...FLS_PATHS, `${dir}/layout`, `${dir}/cache`],
      write: [`${dir}/cache`],
    });
    // no j command sets a bundle up alone: the typed client, as a test script would
    await using session = await openExporter(served.host, {
      registry: clientRegistry,
      policy: UNSAFE_POLICY,
    });
    const flasher = session.root.children.get("storage") as BaseFlasherClient;
    await flasher.setupFlasherBundle();
    assert.equal((await Deno.stat(`${dir}/tftp/initramfs`)).size, FILES["data/initramfs"]);
    assert.equal(await flasher.getBootcmd(), "booti 0x82000000 - 0x84000000");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
