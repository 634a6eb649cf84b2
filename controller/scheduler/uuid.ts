/** UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, variant 10, 74 random bits. */
export function uuidv7(
  now: number,
  random: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
): string {
  if (random.length !== 16) throw new RangeError("uuidv7 needs 16 random bytes");
  const b = Uint8Array.from(random);
  let ms = Math.max(0, Math.floor(now));
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** The millisecond timestamp inside a UUIDv7 (undefined for other text). */
export function uuidv7Time(text: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(text)) {
    return undefined;
  }
  return Number.parseInt(text.slice(0, 8) + text.slice(9, 13), 16);
}
