/**
 * The pixel size a JPEG declares in its frame header (SOFn marker), read without decoding the
 * image: enough for `state()` to report the resolution of a camera's frame.
 */

const SOF_MARKERS = new Set([
  0xc0,
  0xc1,
  0xc2,
  0xc3,
  0xc5,
  0xc6,
  0xc7,
  0xc9,
  0xca,
  0xcb,
  0xcd,
  0xce,
  0xcf,
]);

/** `{ width, height }` of a JPEG, or `undefined` when `data` is not one (or is truncated). */
export function jpegSize(data: Uint8Array): { width: number; height: number } | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 4 <= data.length) {
    if (data[offset] !== 0xff) return undefined;
    const marker = data[offset + 1]!;
    if (marker === 0xff) { // fill byte
      offset += 1;
      continue;
    }
    const length = (data[offset + 2]! << 8) | data[offset + 3]!;
    if (SOF_MARKERS.has(marker)) {
      if (offset + 9 > data.length) return undefined;
      const height = (data[offset + 5]! << 8) | data[offset + 6]!;
      const width = (data[offset + 7]! << 8) | data[offset + 8]!;
      return { width, height };
    }
    offset += 2 + length;
  }
  return undefined;
}
