/**
 * The server against a raw client that controls every packet: what real clients cannot be made
 * to do on demand (duplicate ACKs, silence, foreign ports, losses inside a window).
 */
import assert from "node:assert/strict";
import { encodeError, encodeRequest, ErrorCode, Opcode, type Packet } from "./packet.ts";
import { LogWatch, patternBytes, RawClient, startServer, tempDir } from "./_testing/tftp.ts";

function expectData(packet: Packet, block: number): Uint8Array {
  assert.equal(packet.opcode, Opcode.DATA, `expected DATA ${block}: ${JSON.stringify(packet)}`);
  if (packet.opcode !== Opcode.DATA) throw new Error("unreachable");
  assert.equal(packet.block, block);
  return packet.data;
}

function expectError(packet: Packet, code: number, message?: RegExp): void {
  assert.equal(packet.opcode, Opcode.ERROR, `expected ERROR ${code}: ${JSON.stringify(packet)}`);
  if (packet.opcode !== Opcode.ERROR) throw new Error("unreachable");
  assert.equal(packet.code, code);
  if (message) assert.match(packet.message, message);
}

Deno.test("an RRQ without options is answered with DATA 1 from a new port, lock-step", async () => {
  await using dir = await tempDir();
  const content = patternBytes(1300);
  await Deno.writeFile(`${dir.path}/kernel`, content);
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  const { data, oack, tid } = await client.fetch(server.address, "kernel");
  assert.equal(oack, undefined);
  assert.notEqual(tid.port, server.address.port);
  assert.deepEqual(data, content);
});

Deno.test("accepted options come back in an OACK with tsize; ACK 0 starts the data", async () => {
  await using dir = await tempDir();
  const content = patternBytes(5000, 7);
  await Deno.writeFile(`${dir.path}/kernel`, content);
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  const { data, oack } = await client.fetch(server.address, "kernel", {
    blksize: 1000,
    tsize: 0,
    timeout: 3,
    windowsize: 4,
    unknown: "x",
  });
  assert.deepEqual(
    oack,
    new Map([["blksize", "1000"], ["tsize", "5000"], ["timeout", "3"], ["windowsize", "4"]]),
  );
  assert.deepEqual(data, content);
});

Deno.test("exact multiples of the block size end with an empty DATA; empty files too", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/even`, patternBytes(1024));
  await Deno.writeFile(`${dir.path}/empty`, new Uint8Array());
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  await client.read(server.address, "even");
  const first = await client.next();
  expectData(first.packet, 1);
  await client.ack(1, first.from);
  expectData((await client.next()).packet, 2);
  await client.ack(2, first.from);
  assert.equal(expectData((await client.next()).packet, 3).length, 0);
  await client.ack(3, first.from);
  assert.deepEqual((await client.fetch(server.address, "empty")).data, new Uint8Array());
});

Deno.test("netascii mode sends CR LF line ends", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/boot.scr`, "setenv a b\nboot\n");
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  const { data } = await client.fetch(server.address, "boot.scr", {}, "netascii");
  assert.equal(new TextDecoder().decode(data), "setenv a b\r\nboot\r\n");
});

Deno.test("WRQ, stray packets, short packets and unknown modes get ERROR 4", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/kernel`, "k");
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  await client.send(encodeRequest(Opcode.WRQ, "upload"), server.address);
  expectError((await client.next()).packet, ErrorCode.ILLEGAL_OPERATION, /read-only/);
  await client.ack(1, server.address);
  expectError((await client.next()).packet, ErrorCode.ILLEGAL_OPERATION, /Unsupported/);
  await client.send(new Uint8Array([0, 1, 0]), server.address);
  expectError((await client.next()).packet, ErrorCode.ILLEGAL_OPERATION, /Malformed/);
  await client.send(new Uint8Array([0, 42, 0, 0]), server.address);
  expectError((await client.next()).packet, ErrorCode.ILLEGAL_OPERATION, /unknown opcode 42/);
  await client.read(server.address, "kernel", {}, "mail");
  expectError((await client.next()).packet, ErrorCode.ILLEGAL_OPERATION, /mode "mail"/);
  // an ERROR is never answered; the next reply is the one to the following request
  await client.send(encodeError(0, "bye"), server.address);
  await client.read(server.address, "missing");
  expectError((await client.next()).packet, ErrorCode.FILE_NOT_FOUND);
});

Deno.test("names outside the root are refused with ERROR 2, missing files with ERROR 1", async () => {
  await using outside = await tempDir();
  await using dir = await tempDir();
  await Deno.writeTextFile(`${outside.path}/secret`, "secret");
  await Deno.symlink(`${outside.path}/secret`, `${dir.path}/escape`);
  await Deno.mkdir(`${dir.path}/boot`);
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  const cases: [string, number, RegExp][] = [
    ["../etc/passwd", ErrorCode.ACCESS_VIOLATION, /contains "\.\."/],
    ["/etc/passwd", ErrorCode.ACCESS_VIOLATION, /outside the TFTP root/],
    [`${outside.path}/secret`, ErrorCode.ACCESS_VIOLATION, /outside the TFTP root/],
    ["escape", ErrorCode.ACCESS_VIOLATION, /resolves outside/],
    ["boot/../../x", ErrorCode.ACCESS_VIOLATION, /\.\./],
    ["nothing-here", ErrorCode.FILE_NOT_FOUND, /does not exist/],
    ["boot", ErrorCode.FILE_NOT_FOUND, /not a regular file/],
  ];
  for (const [name, code, message] of cases) {
    await client.read(server.address, name);
    const reply = await client.next();
    expectError(reply.packet, code, message);
    assert.equal(reply.from.port, server.address.port);
  }
  assert.equal(server.activeTransfers, 0);
});

Deno.test("duplicate ACKs never trigger a resend (no Sorcerer's Apprentice)", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/kernel`, patternBytes(512 * 4 + 1));
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  await client.read(server.address, "kernel");
  const first = await client.next();
  expectData(first.packet, 1);
  const tid = first.from;
  await client.ack(1, tid);
  expectData((await client.next()).packet, 2);
  for (let i = 0; i < 3; i++) await client.ack(1, tid);
  await client.ack(2, tid);
  // with the bug, three copies of DATA 2 would come first
  expectData((await client.next()).packet, 3);
  await client.ack(3, tid);
  await client.ack(3, tid);
  expectData((await client.next()).packet, 4);
  await client.ack(4, tid);
  assert.equal(expectData((await client.next()).packet, 5).length, 1);
  await client.ack(5, tid);
});

Deno.test("an unacknowledged block is resent on timeout; after the retry limit, ERROR", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/kernel`, patternBytes(2000));
  const log = new LogWatch();
  // timers only fire late, but a busy event loop can stamp one arrival late and the next on
  // time: the interval is long enough that such jitter cannot pass for an early resend
  await using server = await startServer(dir.path, { timeoutMs: 400, retries: 2, log });
  await using client = await RawClient.open();
  await client.read(server.address, "kernel");
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { packet } = await client.next();
    expectData(packet, 1);
    times.push(performance.now());
  }
  expectError((await client.next()).packet, ErrorCode.NOT_DEFINED, /timed out/);
  const failed = await log.waitFor(/failed/);
  assert.match(failed, /no acknowledgement of block 1 after 3 tries/);
  for (let i = 1; i < times.length; i++) {
    assert.ok(times[i]! - times[i - 1]! >= 250, `resent after ${times[i]! - times[i - 1]!} ms`);
  }
});

Deno.test("the client's negotiated timeout sets the retransmission interval", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/kernel`, patternBytes(600));
  await using server = await startServer(dir.path, { timeoutMs: 60_000 });
  await using client = await RawClient.open();
  await client.read(server.address, "kernel", { timeout: 1 });
  const oack = await client.next();
  assert.equal(oack.packet.opcode, Opcode.OACK);
  // no ACK 0: the OACK itself is retransmitted after the negotiated second
  const again = await client.next(3000);
  assert.equal(again.packet.opcode, Opcode.OACK);
  await client.ack(0, oack.from);
  const sent = performance.now();
  expectData((await client.next()).packet, 1);
  expectData((await client.next(3000)).packet, 1);
  const waited = performance.now() - sent;
  assert.ok(waited >= 900, `resent after ${waited} ms`);
  await client.ack(1, oack.from);
  expectData((await client.next()).packet, 2);
  await client.ack(2, oack.from);
});

Deno.test("a packet from a foreign port gets ERROR 5 and the transfer goes on", async () => {
  await using dir = await tempDir();
  const content = patternBytes(700);
  await Deno.writeFile(`${dir.path}/kernel`, content);
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  await using intruder = await RawClient.open();
  await client.read(server.address, "kernel");
  const first = await client.next();
  const head = expectData(first.packet, 1).slice();
  await intruder.ack(1, first.from);
  expectError((await intruder.next()).packet, ErrorCode.UNKNOWN_TID);
  await client.ack(1, first.from);
  const tail = expectData((await client.next()).packet, 2);
  assert.deepEqual(new Uint8Array([...head, ...tail]), content);
  await client.ack(2, first.from);
});

Deno.test("two transfers run at once, each on its own port", async () => {
  await using dir = await tempDir();
  const a = patternBytes(512 * 3 + 10, 3);
  const b = patternBytes(512 * 2 + 20, 4);
  await Deno.writeFile(`${dir.path}/a`, a);
  await Deno.writeFile(`${dir.path}/b`, b);
  await using server = await startServer(dir.path);
  await using one = await RawClient.open();
  await using two = await RawClient.open();
  await one.read(server.address, "a");
  await two.read(server.address, "b");
  const firstA = await one.next();
  const firstB = await two.next();
  assert.notEqual(firstA.from.port, firstB.from.port);
  assert.equal(server.activeTransfers, 2);
  const got = { a: [...expectData(firstA.packet, 1)], b: [...expectData(firstB.packet, 1)] };
  for (let block = 1; block <= 4; block++) {
    await one.ack(block, firstA.from);
    if (block < 4) got.a.push(...expectData((await one.next()).packet, block + 1));
    if (block <= 3) {
      await two.ack(block, firstB.from);
      if (block < 3) got.b.push(...expectData((await two.next()).packet, block + 1));
    }
  }
  assert.deepEqual(new Uint8Array(got.a), a);
  assert.deepEqual(new Uint8Array(got.b), b);
});

Deno.test("a repeated RRQ from the same port starts no second transfer", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/kernel`, patternBytes(100));
  const log = new LogWatch();
  await using server = await startServer(dir.path, { log });
  await using client = await RawClient.open();
  await client.read(server.address, "kernel");
  await client.read(server.address, "kernel");
  const first = await client.next();
  expectData(first.packet, 1);
  await log.waitFor(/Repeated request/);
  assert.equal(server.activeTransfers, 1);
  await client.ack(1, first.from);
  await log.waitFor(/Sent "kernel"/);
  assert.equal(server.activeTransfers, 0);
});

Deno.test("a client's ERROR ends its transfer", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/kernel`, patternBytes(5000));
  const log = new LogWatch();
  await using server = await startServer(dir.path, { log });
  await using client = await RawClient.open();
  await client.read(server.address, "kernel", { blksize: 1024 });
  const oack = await client.next();
  await client.send(encodeError(ErrorCode.OPTION_REFUSED, "no thanks"), oack.from);
  assert.match(await log.waitFor(/failed/), /client sent ERROR 8 .*no thanks/);
  assert.equal(server.activeTransfers, 0);
});

Deno.test("block numbers wrap past 65535 (windowed, blksize 8)", async () => {
  await using dir = await tempDir();
  const content = patternBytes(600_001, 9);
  await Deno.writeFile(`${dir.path}/big`, content);
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  const { data } = await client.fetch(server.address, "big", { blksize: 8, windowsize: 64 });
  assert.equal(data.length, content.length);
  assert.deepEqual(data, content);
});

Deno.test("in a window, an ACK of an earlier block restarts the window after it", async () => {
  await using dir = await tempDir();
  const content = patternBytes(512 * 9 + 100, 5);
  await Deno.writeFile(`${dir.path}/kernel`, content);
  await using server = await startServer(dir.path);
  await using client = await RawClient.open();
  await client.read(server.address, "kernel", { windowsize: 4 });
  const oack = await client.next();
  assert.deepEqual(oack.packet.opcode === Opcode.OACK && [...oack.packet.options], [[
    "windowsize",
    "4",
  ]]);
  const tid = oack.from;
  await client.ack(0, tid);
  const blocks = async (from: number, to: number) => {
    for (let block = from; block <= to; block++) expectData((await client.next()).packet, block);
  };
  await blocks(1, 4);
  // as if block 3 was lost: the client acknowledges 2
  await client.ack(2, tid);
  await blocks(3, 6);
  await client.ack(6, tid);
  await blocks(7, 10);
  await client.ack(10, tid);
});

Deno.test("closing the server ends running transfers with an ERROR", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/kernel`, patternBytes(5000));
  const server = await startServer(dir.path);
  await using client = await RawClient.open();
  await client.read(server.address, "kernel");
  expectData((await client.next()).packet, 1);
  await server.close();
  expectError((await client.next()).packet, ErrorCode.NOT_DEFINED, /server stopped/);
  assert.equal(server.activeTransfers, 0);
});
