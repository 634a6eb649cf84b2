/**
 * Disk images: which block driver reads them (from their header, as `qemu-img info` would say)
 * and growing them to a configured size.
 */
import { DriverError } from "@jumpstarter/lib/wire";

const QCOW_MAGIC = 0x514649fb; // "QFI\xfb"
const VMDK_MAGIC = 0x4b444d56; // "KDMV"

async function readHeader(path: string, length: number): Promise<DataView> {
  using file = await Deno.open(path, { read: true });
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const count = await file.read(bytes.subarray(filled));
    if (count === null) break;
    filled += count;
  }
  return new DataView(bytes.buffer, 0, filled);
}

/** The QEMU block driver for an image: `qcow2`, `qcow`, `vmdk` or `raw`. */
export async function detectFormat(path: string): Promise<string> {
  const header = await readHeader(path, 8);
  if (header.byteLength < 8) return "raw";
  const magic = header.getUint32(0);
  if (magic === QCOW_MAGIC) return header.getUint32(4) === 1 ? "qcow" : "qcow2";
  if (magic === VMDK_MAGIC) return "vmdk";
  return "raw";
}

/** The size the guest sees: the file size for raw, the header's for qcow2. */
async function virtualSize(path: string, format: string): Promise<number> {
  if (format === "raw") return (await Deno.stat(path)).size;
  const header = await readHeader(path, 32);
  return Number(header.getBigUint64(24));
}

/**
 * Grows an image to `bytes` (never shrinks it). Raw images are extended in place; qcow2 images
 * with `qemu-img resize`.
 *
 * @returns whether the image was grown.
 */
export async function growImage(path: string, format: string, bytes: number): Promise<boolean> {
  if (format !== "raw" && format !== "qcow2") {
    throw new DriverError(
      `Cannot resize ${path}: disk_size supports raw and qcow2 images, not ${format}`,
    );
  }
  if (await virtualSize(path, format) >= bytes) return false;
  if (format === "raw") {
    await Deno.truncate(path, bytes);
    return true;
  }
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("qemu-img", {
      args: ["resize", "-f", "qcow2", path, String(bytes)],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new DriverError(
      `Cannot resize ${path}: qemu-img is not available (Debian: qemu-utils): ${
        (error as Error).message
      }`,
    );
  }
  if (!output.success) {
    const reason = new TextDecoder().decode(output.stderr).trim();
    throw new DriverError(`Cannot resize ${path} with qemu-img: ${reason}`);
  }
  return true;
}
