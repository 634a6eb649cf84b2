/**
 * The hashes against PIL (Debian's python3-pil, with numpy for the DCT): average_hash and phash
 * of the same files agree within a few bits (PIL shrinks with Lanczos, jimp by area averaging),
 * and the hex form, distances and errors behave as upstream's `ImageHash`.
 */
import assert from "node:assert/strict";
import {
  averageHash,
  differenceHash,
  differenceHashVertical,
  ImageHashValue,
  perceptualHash,
} from "./hash.ts";
import { decodeImage, readImage } from "./image.ts";

const TESTDATA = new URL("./testdata/", import.meta.url).pathname;
const NO_SIGNAL = new URL("../ustreamer/testdata/no_signal.jpeg", import.meta.url).pathname;
const FILES = [NO_SIGNAL, ...["shapes.png", "shapes.jpeg", "console.png"].map((f) => TESTDATA + f)];

async function pilHashes(): Promise<Map<string, { ahash: string; phash: string }>> {
  const output = await new Deno.Command("/usr/bin/python3", {
    args: [new URL("./_testing/pil_hashes.py", import.meta.url).pathname, ...FILES],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  assert.ok(
    output.success,
    `PIL hashing failed (apt-get install python3-pil python3-numpy): ${text.decode(output.stderr)}`,
  );
  return new Map(
    text.decode(output.stdout).trim().split("\n").map((line) => {
      const [file, ahash, phash] = line.split(" ");
      return [file!, { ahash: ahash!, phash: phash! }];
    }),
  );
}

function fromHex(hex: string): ImageHashValue {
  return new ImageHashValue(
    [...hex].flatMap((digit) => [...parseInt(digit, 16).toString(2).padStart(4, "0")])
      .map((bit) => bit === "1"),
  );
}

Deno.test("average_hash and phash agree with PIL's on ustreamer's frame and local images", async () => {
  const pil = await pilHashes();
  for (const file of FILES) {
    const image = await readImage(file);
    const expected = pil.get(file)!;
    const ahash = averageHash(image);
    const phash = perceptualHash(image);
    assert.ok(
      ahash.distance(fromHex(expected.ahash)) <= 1,
      `${file}: average_hash ${ahash}, PIL ${expected.ahash}`,
    );
    assert.ok(
      phash.distance(fromHex(expected.phash)) <= 4,
      `${file}: phash ${phash}, PIL ${expected.phash}`,
    );
  }
});

Deno.test("hashes are 64-bit hex strings; the same picture as PNG or JPEG hashes alike", async () => {
  const png = await readImage(`${TESTDATA}shapes.png`);
  const jpeg = await readImage(`${TESTDATA}shapes.jpeg`);
  for (const hash of [averageHash, differenceHash, differenceHashVertical, perceptualHash]) {
    assert.match(hash(png).toString(), /^[0-9a-f]{16}$/);
    assert.ok(hash(png).distance(hash(jpeg)) <= 2, `${hash.name}: ${hash(png)} vs ${hash(jpeg)}`);
  }
  const console = await readImage(`${TESTDATA}console.png`);
  assert.ok(averageHash(png).distance(averageHash(console)) > 10);
  assert.equal(averageHash(png, 16).bits.length, 256);
});

Deno.test("hashes of different sizes cannot be compared; an undecodable image is one line", async () => {
  const png = await readImage(`${TESTDATA}shapes.png`);
  assert.throws(() => averageHash(png, 8).distance(averageHash(png, 16)), {
    name: "TypeError",
    message: "ImageHashes must be of the same shape: 64 and 256 bits",
  });
  await assert.rejects(
    decodeImage(new TextEncoder().encode("this is not an image\n"), "frame.jpeg"),
    (error: Error) => {
      assert.match(error.message, /^Cannot decode image frame\.jpeg: \S/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    },
  );
  await assert.rejects(readImage(`${TESTDATA}missing.png`), {
    message: new RegExp(`^Cannot read image ${TESTDATA}missing\\.png: No such file`),
  });
});
