/**
 * The console child on its own, fed by an in-memory "guest", through the real client path.
 */
import assert from "node:assert/strict";
import { DriverClient } from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";
import { QemuConsole } from "./console.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fake guest: what the test writes comes out of the console; what clients type is kept. */
function fakeGuest() {
  const output = new TransformStream<Uint8Array, Uint8Array>();
  let typed = "";
  const typedChunk = Promise.withResolvers<void>();
  const device = {
    readable: output.readable,
    writable: new WritableStream<Uint8Array>({
      write: (chunk) => {
        typed += decoder.decode(chunk);
        typedChunk.resolve();
      },
    }),
  };
  const writer = output.writable.getWriter();
  return {
    device,
    print: (text: string) => writer.write(encoder.encode(text)),
    powerOff: () => writer.close(),
    typed: () => typed,
    firstKeystroke: typedChunk.promise,
  };
}

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string) {
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${text}"; got "${seen}"`);
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

async function readLog(client: DriverClient): Promise<string> {
  let text = "";
  for await (const chunk of client.streamingCall("read_log", false)) text += chunk;
  return text;
}

Deno.test("QemuConsole: clients attached while off get the output of every boot", async () => {
  const console = new QemuConsole();
  await using served = await serve(console);
  assert.equal(served.client.clientClass, "jumpstarter_driver_pyserial.client.PySerialClient");
  const one = await served.client.stream("connect");
  const two = await served.client.stream("connect");
  const readerOne = one.readable.getReader();
  const readerTwo = two.readable.getReader();
  const writerOne = one.writable.getWriter();
  // typing into a powered-off guest goes nowhere, without an error (in-process: the write is
  // done when the driver has handled it)
  const local = console.connect();
  const localWriter = local.writable.getWriter();
  await localWriter.write(encoder.encode("lost"));
  await localWriter.close();

  const first = fakeGuest();
  const feeding = console.attachDevice(first.device);
  assert.equal(console.connected, true);
  await first.print("U-Boot 2023.01\r\n=> ");
  assert.match(await readUntil(readerOne, "=> "), /U-Boot 2023\.01/);
  assert.match(await readUntil(readerTwo, "=> "), /U-Boot 2023\.01/);
  await writerOne.write(encoder.encode("version\r"));
  await first.firstKeystroke;
  assert.equal(first.typed(), "version\r");
  await first.powerOff();
  await feeding;
  assert.equal(console.connected, false);

  const second = fakeGuest();
  const feedingAgain = console.attachDevice(second.device);
  await second.print("second boot\r\n");
  await readUntil(readerOne, "second boot");
  await second.powerOff();
  await feedingAgain;

  // as upstream's serial console, output keeps flowing after the client's EOF: the client ends
  // the stream by cancelling it
  await writerOne.close();
  await readerOne.cancel();
  readerTwo.releaseLock();
  await two.readable.cancel();
  await two.writable.close().catch(() => {});
});

Deno.test("QemuConsole keeps reading with no client attached: read_log has everything", async () => {
  const state = await Deno.makeTempDir();
  const console = new QemuConsole({}, undefined, state);
  await using served = await serve(console);
  const guest = fakeGuest();
  const feeding = console.attachDevice(guest.device);
  await guest.print("boot banner\r\n");
  await guest.print("Hit any key to stop autoboot\r\n");
  await guest.powerOff();
  await feeding;
  assert.equal(await readLog(served.client), "boot banner\r\nHit any key to stop autoboot\r\n");
  assert.equal(await console.logText(), "boot banner\r\nHit any key to stop autoboot\r\n");
  // the same output is kept on disk, where it outlives the session
  const path = await served.client.call("log_path") as string;
  await served.close();
  assert.equal(await Deno.readTextFile(path), "boot banner\r\nHit any key to stop autoboot\r\n");
  await Deno.remove(state, { recursive: true });
});

Deno.test("QemuConsole: read_log with follow streams new output until the session ends", async () => {
  const console = new QemuConsole();
  const served = await serve(console);
  const guest = fakeGuest();
  const feeding = console.attachDevice(guest.device);
  await guest.print("one\n");
  const chunks = served.client.streamingCall("read_log", true);
  assert.equal((await chunks.next()).value, "one\n");
  await guest.print("two\n");
  assert.equal((await chunks.next()).value, "two\n");
  const rest = (async () => {
    const seen = [];
    for await (const chunk of chunks) seen.push(chunk);
    return seen;
  })();
  console.close();
  assert.deepEqual(await rest, []);
  await guest.powerOff();
  await feeding;
  await served.close();
});
