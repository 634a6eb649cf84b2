/**
 * `ImageHash` as upstream's tests use it: the same image passes, a different one fails naming
 * the client and writes `FAILED_<reference>`, snapshots pass through, hashes come back; and the
 * `deno test` helper saves a difference PNG next to the failed snapshot.
 */
import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import { ImageHash } from "./image_hash.ts";
import { ImageHashValue, perceptualHash } from "./hash.ts";
import { decodeImage, readImage } from "./image.ts";
import { assertScreenMatches } from "./testing.ts";
import { FakeCamera } from "./_testing/fake_camera.ts";

const TESTDATA = new URL("./testdata/", import.meta.url).pathname;

Deno.test("assertSnapshot passes for the same image and returns the comparison", async () => {
  const comparison = await new ImageHash(new FakeCamera(`${TESTDATA}shapes.jpeg`))
    .assertSnapshot(`${TESTDATA}shapes.png`);
  assert.ok(comparison.diff <= 1, `diff ${comparison.diff}`);
});

Deno.test("assertSnapshot fails for a different image and saves the snapshot as FAILED_<reference>", async () => {
  const outdir = await Deno.makeTempDir();
  try {
    const camera = new FakeCamera(`${TESTDATA}shapes.jpeg`);
    await assert.rejects(
      new ImageHash(camera, { outdir }).assertSnapshot(`${TESTDATA}console.png`, 3),
      (error: Error) => {
        assert.ok(error instanceof AssertionError);
        assert.match(
          error.message,
          /^FakeCamera\.assert_snapshot FAILED_console\.png: diff \d+ > tolerance 3$/,
        );
        return true;
      },
    );
    // saved as the reference's format (PNG), decoded from the JPEG snapshot
    const saved = await Deno.readFile(`${outdir}/FAILED_console.png`);
    assert.deepEqual([...saved.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    assert.equal((await decodeImage(saved, "FAILED_console.png")).width, 320);
  } finally {
    await Deno.remove(outdir, { recursive: true });
  }
});

Deno.test("snapshot passes the client's bytes through; hashSnapshot hashes one", async () => {
  const bytes = await Deno.readFile(`${TESTDATA}shapes.jpeg`);
  const camera = new FakeCamera(bytes);
  const hasher = new ImageHash(camera, { hashFunc: perceptualHash, hashSize: 16 });
  assert.equal(await hasher.snapshot(), bytes);
  const hash = await hasher.hashSnapshot();
  assert.ok(hash instanceof ImageHashValue);
  assert.equal(hash.bits.length, 256);
  assert.equal(hash.distance(perceptualHash(await readImage(`${TESTDATA}shapes.jpeg`), 16)), 0);
});

Deno.test("an undecodable snapshot or a missing reference fails in one line", async () => {
  const hasher = new ImageHash(new FakeCamera(`${TESTDATA}not_an_image.jpeg`));
  await assert.rejects(hasher.assertSnapshot(`${TESTDATA}shapes.png`), {
    message: /^Cannot decode image snapshot of FakeCamera: [^\n]+$/,
  });
  await assert.rejects(
    new ImageHash(new FakeCamera(`${TESTDATA}shapes.png`)).assertSnapshot(`${TESTDATA}nope.png`),
    { message: /^Cannot read image .*nope\.png: No such file/ },
  );
});

Deno.test("assertScreenMatches saves the snapshot and a difference PNG when the screen differs", async () => {
  const outdir = await Deno.makeTempDir();
  try {
    const camera = new FakeCamera(`${TESTDATA}console.png`);
    await assertScreenMatches(camera, `${TESTDATA}console.png`, { outdir });
    await assert.rejects(
      assertScreenMatches(camera, `${TESTDATA}shapes.jpeg`, { outdir, tolerance: 2 }),
      (error: Error) => {
        assert.ok(error instanceof AssertionError);
        assert.match(
          error.message,
          /^FakeCamera\.assert_snapshot FAILED_shapes\.jpeg: diff \d+ > tolerance 2 \(snapshot [0-9a-f]{16}, reference [0-9a-f]{16}; saved .*FAILED_shapes\.jpeg and .*DIFF_shapes\.png\)$/,
        );
        return true;
      },
    );
    const diff = await readImage(`${outdir}/DIFF_shapes.png`);
    assert.deepEqual([diff.width, diff.height], [320, 240]);
    assert.ok(diff.data.some((value, index) => index % 4 !== 3 && value > 0), "the images differ");
    const failed = await Deno.readFile(`${outdir}/FAILED_shapes.jpeg`);
    assert.deepEqual([...failed.subarray(0, 2)], [0xff, 0xd8], "saved as JPEG, as named");
  } finally {
    await Deno.remove(outdir, { recursive: true });
  }
});
