/**
 * The block-device helpers on real files and, where this machine lets us attach one (root with
 * loop devices), on a real loop block device: waiting for the node, in-place writes with fsync,
 * reading back, and a device that runs out of room mid-write failing in one line.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { InvalidArgumentError } from "../wire/mod.ts";
import { readBlockDevice, waitForBlockDevice, writeBlockDevice } from "./block_device.ts";
import { attachLoopDevice, loopDevicesAvailable } from "./_testing/loop_device.ts";

const MIB = 1024 * 1024;

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Random bytes (getRandomValues fills at most 64 KiB at a time). */
function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
  }
  return bytes;
}

function collect(): { sink: WritableStream<Uint8Array>; bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    sink: new WritableStream({ write: (chunk) => void chunks.push(chunk) }),
    bytes: () => {
      const all = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
      let offset = 0;
      for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.length;
      }
      return all;
    },
  };
}

async function withLoopDevice(
  size: number,
  fn: (device: string, backing: string) => Promise<void>,
) {
  const backing = await Deno.makeTempFile({ suffix: ".img" });
  try {
    await Deno.truncate(backing, size);
    await using loop = await attachLoopDevice(backing);
    await fn(loop.path, backing);
  } finally {
    await Deno.remove(backing);
  }
}

Deno.test("waitForBlockDevice waits for the node to appear with a nonzero size, and names it when it does not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const node = `${dir}/sdx`;
    const appear = setTimeout(() => Deno.writeFileSync(node, new Uint8Array(512)), 300);
    try {
      await waitForBlockDevice(node, "write", { timeoutS: 5 });
    } finally {
      clearTimeout(appear);
    }
    await Deno.writeFile(`${dir}/empty`, new Uint8Array(0));
    await assert.rejects(
      waitForBlockDevice(`${dir}/empty`, "read", { timeoutS: 0.2 }),
      new RegExp(
        `^Error: Storage device ${dir}/empty did not become ready within 0.2 s \\(waiting for it to have a nonzero size\\)$`,
        "m",
      ),
    );
    await assert.rejects(
      waitForBlockDevice(`${dir}/none`, "read", { timeoutS: 0.2 }),
      /did not become ready within 0.2 s \(waiting for it to appear\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeBlockDevice writes in place (the medium keeps its size), reports size and sha256, checks the expected one", async () => {
  const card = await Deno.makeTempFile();
  try {
    await Deno.truncate(card, 4 * MIB);
    const image = randomBytes(MIB + 7);
    const result = await writeBlockDevice(
      card,
      streamOf(image.subarray(0, 1000), image.subarray(1000)),
      {
        leewayS: 0,
      },
    );
    assert.deepEqual(result, { size: image.length, sha256: sha256(image) });
    const written = await Deno.readFile(card);
    assert.equal(written.length, 4 * MIB);
    assert.deepEqual(written.subarray(0, image.length), image);
    await assert.rejects(
      writeBlockDevice(card, streamOf(image), { leewayS: 0, expectedSha256: "0".repeat(64) }),
      (error: Error) =>
        error instanceof InvalidArgumentError && /Checksum mismatch/.test(error.message),
    );
    const read = collect();
    assert.equal(await readBlockDevice(card, read.sink), 4 * MIB);
    assert.deepEqual(read.bytes().subarray(0, image.length), image);
  } finally {
    await Deno.remove(card);
  }
});

Deno.test({
  name:
    "on a real loop block device: write, fsync, read back; an image larger than the device fails in one line",
  ignore: !loopDevicesAvailable(),
  fn: async () => {
    await withLoopDevice(2 * MIB, async (device, backing) => {
      const image = randomBytes(MIB);
      const result = await writeBlockDevice(device, streamOf(image), { leewayS: 0 });
      assert.equal(result.sha256, sha256(image));
      assert.deepEqual((await Deno.readFile(backing)).subarray(0, MIB), image);
      const read = collect();
      assert.equal(await readBlockDevice(device, read.sink), 2 * MIB);
      assert.deepEqual(read.bytes().subarray(0, MIB), image);

      const tooLarge = randomBytes(3 * MIB);
      await assert.rejects(
        writeBlockDevice(device, streamOf(tooLarge), { leewayS: 0 }),
        new RegExp(`^Error: Cannot write storage device ${device}: No space left on device`, "m"),
      );
    });
  },
});
