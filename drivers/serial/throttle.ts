import type { Port } from "./port.ts";

/**
 * Writes `data` one byte at a time, `1 / cps` seconds apart (upstream's `cps` throttling, for
 * devices whose input buffer overflows when a whole line arrives at line speed).
 */
export async function writeThrottled(port: Port, data: Uint8Array, cps: number): Promise<void> {
  const gapMs = 1000 / cps;
  for (let index = 0; index < data.byteLength; index++) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    await port.write(data.subarray(index, index + 1));
  }
}
