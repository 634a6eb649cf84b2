/**
 * PySerial throughput over a real socat pty pair: 24 MiB each way, byte-exact, with slow readers
 * on both sides holding the writers back (no loss, bounded memory).
 */
import assert from "node:assert/strict";
import { HTTP2_WINDOW_BYTES } from "@jumpstarter/protos";
import { serve } from "@jumpstarter/lib/testing";
import { PySerial } from "./driver.ts";
import { PySerialClient } from "./client.ts";
import { TtyPort } from "./tty_port.ts";
import { ptyPair, tempDir, waitFor } from "./_testing/pty.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MiB = 1024 * 1024;

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  }
  return bytes;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Sleeps as much as reading at `bytesPerSecond` would take; pacing, not synchronisation. */
function pacer(bytesPerSecond: number): (bytes: number) => Promise<void> {
  const started = performance.now();
  let total = 0;
  return async (bytes) => {
    total += bytes;
    const due = started + (total / bytesPerSecond) * 1000 - performance.now();
    if (due > 2) await new Promise((resolve) => setTimeout(resolve, due));
  };
}

Deno.test("PySerial moves 24 MiB each way byte-exact, slow readers holding the writers back", async () => {
  await using dir = await tempDir();
  const a = `${dir.path}/a`;
  await using _socat = await ptyPair(a, `${dir.path}/b`);
  const driver = new PySerial({ url: a, logDir: `${dir.path}/logs`, logMaxBytes: MiB });
  await using served = await serve(driver, PySerialClient);
  const peer = await TtyPort.open(`${dir.path}/b`, 115200);
  try {
    // more than a full HTTP/2 window beyond the bound below, so that a missing backpressure shows
    const size = HTTP2_WINDOW_BYTES + 16 * MiB;
    const down = randomBytes(size); // board -> client
    const up = randomBytes(size); // client -> board
    const stream = await served.client.connect();
    const rate = 5 * MiB; // readers on both sides, deliberately slower than the ptys
    let boardSent = 0;
    let clientGot = 0;
    let clientSent = 0;
    let boardGot = 0;
    let downLead = 0;
    let upLead = 0;

    const boardWriting = (async () => {
      for (let offset = 0; offset < size; offset += 16 * 1024) {
        const chunk = down.subarray(offset, offset + 16 * 1024);
        await peer.write(chunk);
        boardSent += chunk.byteLength;
        downLead = Math.max(downLead, boardSent - clientGot);
      }
    })();
    const received = new Uint8Array(size);
    const clientReading = (async () => {
      const pace = pacer(rate);
      const reader = stream.readable.getReader();
      while (clientGot < size) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`client stream ended after ${clientGot} bytes`);
        received.set(value, clientGot);
        clientGot += value.byteLength;
        await pace(value.byteLength);
      }
      reader.releaseLock();
    })();
    const clientWriting = (async () => {
      const writer = stream.writable.getWriter();
      for (let offset = 0; offset < size; offset += 16 * 1024) {
        const chunk = up.subarray(offset, offset + 16 * 1024);
        await writer.write(chunk);
        clientSent += chunk.byteLength;
        upLead = Math.max(upLead, clientSent - boardGot);
      }
      writer.releaseLock();
    })();
    const arrived = new Uint8Array(size);
    const boardReading = (async () => {
      const pace = pacer(rate);
      while (boardGot < size) {
        const chunk = await peer.read();
        if (chunk === null) throw new Error("board side closed");
        arrived.set(chunk, boardGot);
        boardGot += chunk.byteLength;
        await pace(chunk.byteLength);
      }
    })();
    await Promise.all([boardWriting, clientReading, clientWriting, boardReading]);

    assert.equal(await sha256(received), await sha256(down));
    assert.equal(await sha256(arrived), await sha256(up));
    // Without backpressure the writers would finish at pty speed while the readers had taken
    // a fraction: the lead would approach the full size. Buffers on the way hold a bounded
    // amount: the receiver's HTTP/2 window, plus ptys, socat and the driver.
    const bound = HTTP2_WINDOW_BYTES + 3 * MiB;
    assert.ok(downLead < bound, `board got ${downLead} bytes ahead of the client reader`);
    assert.ok(upLead < bound, `client got ${upLead} bytes ahead of the board reader`);

    // closing the client's side ends only its input: the device's output keeps coming (upstream)
    await stream.writable.close();
    await peer.write(encoder.encode("after the client's EOF"));
    const reader = stream.readable.getReader();
    let rest = "";
    while (!rest.includes("after the client's EOF")) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the stream ended after the client's EOF; got ${JSON.stringify(rest)}`);
      rest += decoder.decode(value);
    }
    await reader.cancel();
    // the bounded log holds the newest device output, the line after the EOF included once the
    // driver has written it down
    const last = encoder.encode("after the client's EOF");
    const output = new Uint8Array(size + last.byteLength);
    output.set(down);
    output.set(last, size);
    const logPath = await served.client.logPath();
    const log = await waitFor("the last output in the log", async () => {
      const log = await Deno.readFile(logPath);
      return decoder.decode(log.subarray(-last.byteLength)) === "after the client's EOF"
        ? log
        : undefined;
    });
    assert.ok(log.byteLength <= MiB && log.byteLength >= MiB / 2, `log is ${log.byteLength} B`);
    assert.deepEqual(log, output.subarray(output.byteLength - log.byteLength));
  } finally {
    await peer.close();
  }
});
