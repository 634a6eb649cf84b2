/**
 * The image operations hashing needs, from jimp (pure JavaScript: its JPEG and PNG codecs and resize plugin):
 * decode, greyscale-and-shrink as upstream's `convert("L").resize(...)`, and PNG encoding.
 */
import { Buffer } from "node:buffer";
import { createJimp } from "@jimp/core";
import jpeg from "@jimp/js-jpeg";
import png from "@jimp/js-png";
import { methods as resizeMethods } from "@jimp/plugin-resize";

// only the codecs and the resize plugin: the full `jimp` package pins an old @types/node
const Jimp = createJimp({ formats: [jpeg, png], plugins: [resizeMethods] });

/** Decoded pixels, 4 bytes (RGBA) a pixel, row by row. */
export interface RgbaImage {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** `width * height * 4` bytes: R, G, B, A of each pixel. */
  data: Uint8Array;
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/**
 * Decodes a JPEG or PNG.
 *
 * @throws {Error} one line naming `name` when the bytes are not an image jimp can decode.
 */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<RgbaImage> {
  try {
    const image = await Jimp.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    const { width, height, data } = image.bitmap;
    return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    throw new Error(`Cannot decode image ${name}: ${reasonOf(error)}`);
  }
}

/** Reads and decodes an image file. @throws {Error} one line naming the file. */
export async function readImage(path: string): Promise<RgbaImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new Error(`Cannot read image ${path}: ${reasonOf(error)}`);
  }
  return await decodeImage(bytes, path);
}

function jimpOf(image: RgbaImage) {
  return Jimp.fromBitmap({
    width: image.width,
    height: image.height,
    data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length),
  });
}

/**
 * `image` in greyscale (ITU-R 601-2 luma, PIL's `L`: alpha ignored) shrunk to `width` x `height`
 * with jimp's default (area-averaging) resize; one value 0-255 a pixel, row by row.
 */
export function greyscaleResized(image: RgbaImage, width: number, height: number): Float64Array {
  const grey = new Uint8Array(image.width * image.height * 4);
  for (let i = 0; i < grey.length; i += 4) {
    const luma = (image.data[i]! * 299 + image.data[i + 1]! * 587 + image.data[i + 2]! * 114 +
          500) / 1000 | 0;
    grey[i] = grey[i + 1] = grey[i + 2] = luma;
    grey[i + 3] = 255;
  }
  const resized = jimpOf({ width: image.width, height: image.height, data: grey })
    .resize({ w: width, h: height });
  const { data } = resized.bitmap;
  const values = new Float64Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = data[i * 4]!;
  return values;
}

/** `image` resized to `width` x `height` (jimp's default resize), in colour. */
export function resized(image: RgbaImage, width: number, height: number): RgbaImage {
  if (image.width === width && image.height === height) return image;
  const { data } = jimpOf(image).resize({ w: width, h: height }).bitmap;
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** `image` as PNG bytes. */
export function encodePng(image: RgbaImage): Promise<Uint8Array> {
  return encodeImage(image, "png");
}

/** `image` as PNG or JPEG bytes. */
export async function encodeImage(image: RgbaImage, format: "png" | "jpeg"): Promise<Uint8Array> {
  const jimp = jimpOf(image);
  return new Uint8Array(
    format === "png" ? await jimp.getBuffer("image/png") : await jimp.getBuffer("image/jpeg"),
  );
}
