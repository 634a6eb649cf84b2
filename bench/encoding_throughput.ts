/**
 * Content-encoding throughput: decoding (and, where we can, encoding) a 32 MiB mostly-zero disk
 * image and 4 MiB of random bytes with each encoding, the best of three runs, next to what a
 * 1 GiB image of the same kind would take. The compressed inputs come from Debian's tools.
 *
 *     deno run -A bench/encoding_throughput.ts
 */
import assert from "node:assert/strict";
import { CONTENT_ENCODINGS, encodeStream, isEncodable } from "../lib/streams/encoding.ts";
import {
  chunks,
  collect,
  compress,
  decode,
  mostlyZeroImage,
  randomBytes,
  sha256,
} from "../lib/streams/_testing/encoding_support.ts";

const images = [
  { name: "32 MiB mostly-zero", data: mostlyZeroImage(32 << 20, 15) },
  { name: "4 MiB random", data: randomBytes(4 << 20, 16) },
];
const rows: string[] = [];
for (const { name, data } of images) {
  const expected = await sha256(data);
  for (const encoding of CONTENT_ENCODINGS) {
    const compressed = await compress(encoding, data);
    let seconds = Infinity; // the best of three runs: the machine may be busy with others
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      const decoded = await decode(encoding, compressed);
      seconds = Math.min(seconds, (performance.now() - started) / 1000);
      if (run === 0) assert.equal(await sha256(decoded), expected, `${encoding} decoded wrongly`);
    }
    const rate = data.byteLength / (1 << 20) / seconds;
    let encodeRate = "";
    if (isEncodable(encoding)) {
      const encodeStarted = performance.now();
      await collect(chunks(data).pipeThrough(encodeStream(encoding)));
      const encodeSeconds = (performance.now() - encodeStarted) / 1000;
      encodeRate = `, encode ${(data.byteLength / (1 << 20) / encodeSeconds).toFixed(1)} MiB/s`;
    }
    rows.push(
      `${name.padEnd(18)} ${encoding.padEnd(4)} ${String(compressed.byteLength).padStart(8)} B` +
        ` -> decode ${rate.toFixed(1).padStart(7)} MiB/s` +
        ` (1 GiB alike: ${(1024 / rate).toFixed(1)} s)${encodeRate}`,
    );
  }
}
console.log(rows.join("\n"));
