/**
 * Fuzzer (bounded, runs in CI): arbitrary datagrams and mutated well-formed packets through the
 * TFTP packet parser. Every input decodes or is refused with a {@linkcode MalformedPacketError};
 * nothing else escapes. `FUZZ_RUNS` and `FUZZ_SEED` change the budget and the seed.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodePacket,
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodeRequest,
  MalformedPacketError,
  Opcode,
} from "./packet.ts";

const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 100_000);
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261207);

const text = fc.string({ maxLength: 12 });
const wellFormed = fc.oneof(
  fc.tuple(text, fc.constantFrom("octet", "netascii"), fc.dictionary(text, text, { maxKeys: 3 }))
    .map(([name, mode, options]) => encodeRequest(Opcode.RRQ, name, mode, options)),
  fc.tuple(fc.nat(65535), fc.uint8Array({ maxLength: 16 })).map(([b, d]) => encodeData(b, d)),
  fc.nat(65535).map(encodeAck),
  fc.tuple(fc.nat(7), text).map(([code, message]) => encodeError(code, message)),
  fc.dictionary(text, text, { maxKeys: 3 }).map((o) => encodeOack(new Map(Object.entries(o)))),
);
const mutated = fc.tuple(
  wellFormed,
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
  fc.nat(),
).map(([packet, edits, cut]) => {
  const bytes = new Uint8Array(packet);
  for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte;
  return bytes.subarray(0, cut % (bytes.length + 1));
});

Deno.test(`TFTP packet parsing survives ${RUNS} arbitrary and mutated datagrams`, () => {
  const started = performance.now();
  let rejected = 0;
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 48 }), wellFormed, mutated), (bytes) => {
      try {
        const packet = decodePacket(bytes);
        assert.ok(Object.values(Opcode).includes(packet.opcode));
      } catch (error) {
        assert.ok(error instanceof MalformedPacketError, `unexpected ${String(error)}`);
        assert.ok(error.message.length > 0);
        rejected++;
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`${RUNS} datagrams in ${seconds.toFixed(1)} s, ${rejected} refused as malformed`);
  assert.ok(rejected > 0, "nothing was refused: the fuzzer is not reaching the error paths");
});
