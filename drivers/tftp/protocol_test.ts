import assert from "node:assert/strict";
import { BlockReader, netasciiEncoder } from "./blocks.ts";
import { negotiate } from "./options.ts";
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
import { defaultRouteInterfaces } from "./host.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("a read request decodes with lower-cased mode and option names", () => {
  const packet = decodePacket(
    encodeRequest(Opcode.RRQ, "boot/Image", "OCTET", { BLKSIZE: 1428, tsize: 0 }),
  );
  assert.deepEqual(packet, {
    opcode: Opcode.RRQ,
    filename: "boot/Image",
    mode: "octet",
    options: new Map([["blksize", "1428"], ["tsize", "0"]]),
  });
});

Deno.test("DATA, ACK, ERROR and OACK packets round-trip, block numbers modulo 65536", () => {
  assert.deepEqual(encodeData(65537, bytes(9, 8)), bytes(0, 3, 0, 1, 9, 8));
  assert.deepEqual(decodePacket(encodeAck(65535)), { opcode: Opcode.ACK, block: 65535 });
  assert.deepEqual(decodePacket(encodeError(2, "Access violation")), {
    opcode: Opcode.ERROR,
    code: 2,
    message: "Access violation",
  });
  assert.deepEqual(decodePacket(encodeOack(new Map([["blksize", "1428"]]))), {
    opcode: Opcode.OACK,
    options: new Map([["blksize", "1428"]]),
  });
});

Deno.test("malformed datagrams are rejected with a reason", () => {
  const cases: [Uint8Array, RegExp][] = [
    [bytes(0, 1, 0), /3 bytes/],
    [bytes(0, 9, 0, 0), /unknown opcode 9/],
    [bytes(0, 1, 0x61, 0x62, 0x63, 0x64), /not NUL-terminated/],
    [bytes(0, 1, 0x61, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0, 0x78, 0), /option without a value/],
    [bytes(0, 2, 0x61, 0), /without file name and mode/],
  ];
  for (const [packet, message] of cases) {
    assert.throws(() => decodePacket(packet), (e: Error) => {
      return e instanceof MalformedPacketError && message.test(e.message);
    });
  }
});

Deno.test("negotiation accepts RFC values, clamps large ones and drops invalid ones", () => {
  const context = { mode: "octet", size: 123456, defaultTimeoutMs: 5000 };
  const result = negotiate(
    new Map([["blksize", "70000"], ["timeout", "2"], ["tsize", "0"], ["windowsize", "1000"]]),
    context,
  );
  assert.deepEqual(result.settings, { blockSize: 65464, timeoutMs: 2000, windowSize: 64 });
  assert.deepEqual(
    [...result.accepted],
    [["blksize", "65464"], ["timeout", "2"], ["tsize", "123456"], ["windowsize", "64"]],
  );
  const refused = negotiate(
    new Map([["blksize", "7"], ["timeout", "0"], ["windowsize", "x"], ["multicast", ""]]),
    context,
  );
  assert.deepEqual(refused.settings, { blockSize: 512, timeoutMs: 5000, windowSize: 1 });
  assert.equal(refused.accepted.size, 0);
  assert.equal(negotiate(new Map([["timeout", "256"]]), context).accepted.size, 0);
  // tsize of a netascii transfer is not known up front
  assert.equal(
    negotiate(new Map([["tsize", "0"]]), { ...context, mode: "netascii" }).accepted.size,
    0,
  );
  assert.deepEqual([...negotiate(new Map([["blksize", "8"]]), context).accepted], [[
    "blksize",
    "8",
  ]]);
});

Deno.test("BlockReader fills blocks across chunk boundaries and ends short", async () => {
  const source = ReadableStream.from([bytes(1, 2, 3), bytes(4), bytes(), bytes(5, 6, 7, 8, 9)]);
  const reader = new BlockReader(source);
  const block = new Uint8Array(6);
  assert.equal(await reader.fill(block, 2), 4);
  assert.deepEqual(block.subarray(2), bytes(1, 2, 3, 4));
  assert.equal(await reader.fill(block), 5);
  assert.deepEqual(block.subarray(0, 5), bytes(5, 6, 7, 8, 9));
  assert.equal(await reader.fill(block), 0);
});

Deno.test("netascii turns LF into CR LF and a bare CR into CR NUL", async () => {
  const text = new TextEncoder().encode("a\nb\rc\r\n");
  const out = await new Response(ReadableStream.from([text]).pipeThrough(netasciiEncoder()))
    .arrayBuffer();
  assert.deepEqual(new Uint8Array(out), new TextEncoder().encode("a\r\nb\r\0c\r\0\r\n"));
});

Deno.test("the default-route interface is read from /proc/net/route", () => {
  const table = [
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
    "eth1\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
    "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
  ].join("\n");
  assert.deepEqual(defaultRouteInterfaces(table), ["eth0"]);
  assert.deepEqual(defaultRouteInterfaces(table.split("\n").slice(0, 2).join("\n")), []);
});
