/**
 * The opendal package's drivers served by an exporter running under exactly the grants
 * `jmp-exporter permissions` prints: an `fs` Opendal (its root), MockFlasher and the storage mux
 * mocks (a medium file's directory, or the temporary directory), each written and read back
 * through `j`.
 */
import assert from "node:assert/strict";
import { tempDirectory } from "@jumpstarter/lib/driver";
import { serveConfined } from "./_permissions.ts";

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
