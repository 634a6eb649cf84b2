import assert from "node:assert/strict";
import { EscapeDetector, runConsole } from "./console.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("EscapeDetector ends on three Ctrl-B in a row and passes other Ctrl-Bs on", () => {
  const detector = new EscapeDetector();
  const push = (text: string) => {
    const { forward, escape } = detector.push(encoder.encode(text));
    return [decoder.decode(forward), escape];
  };
  assert.deepEqual(push("ls\r"), ["ls\r", false]);
  assert.deepEqual(push("\x02c"), ["\x02c", false]);
  assert.deepEqual(push("\x02\x02"), ["", false], "held until the next key tells");
  assert.deepEqual(push("x"), ["\x02\x02x", false]);
  assert.deepEqual(push("a\x02\x02\x02b"), ["a", true], "what follows the escape is dropped");
  assert.deepEqual(push("\x02"), ["", false]);
  assert.deepEqual(push("\x02"), ["", false]);
  assert.deepEqual(push("\x02"), ["", true], "across chunks");
  assert.deepEqual(push("\x02\x02y\x02\x02\x02"), ["\x02\x02y", true]);
});

/** A device end (what the console's stream connects to) and the console's terminal. */
function rig() {
  const toConsole = new TransformStream<Uint8Array, Uint8Array>();
  const fromConsole = new TransformStream<Uint8Array, Uint8Array>();
  const keys = new TransformStream<Uint8Array, Uint8Array>();
  const screen: number[] = [];
  const rawModes: boolean[] = [];
  const device = toConsole.writable.getWriter();
  const keyboard = keys.writable.getWriter();
  return {
    stream: { readable: toConsole.readable, writable: fromConsole.writable },
    device,
    deviceHeard: new Response(fromConsole.readable).text(),
    keyboard,
    type: (text: string) => keyboard.write(encoder.encode(text)),
    screen,
    rawModes,
    io: {
      input: keys.readable,
      output: new WritableStream<Uint8Array>({ write: (chunk) => void screen.push(...chunk) }),
      setRaw: (raw: boolean) => void rawModes.push(raw),
    },
  };
}

Deno.test("runConsole forwards both ways byte-exactly until Ctrl-B x3, restoring the terminal", async () => {
  const r = rig();
  const running = runConsole(r.stream, r.io);
  const everyByte = new Uint8Array(256).map((_, i) => i);
  await r.device.write(everyByte);
  await r.type("echo hi\r");
  await r.type("\x02x\x02\x02");
  await r.type("\x02");
  assert.equal(await running, "escape");
  assert.equal(await r.deviceHeard, "echo hi\r\x02x", "the console closed its side");
  assert.deepEqual(r.screen, [...everyByte]);
  assert.deepEqual(r.rawModes, [true, false]);
});

Deno.test("runConsole ends when the remote end closes, restoring the terminal", async () => {
  const r = rig();
  const running = runConsole(r.stream, r.io);
  await r.device.write(encoder.encode("bye"));
  await r.device.close();
  assert.equal(await running, "remote-closed");
  assert.equal(decoder.decode(new Uint8Array(r.screen)), "bye");
  assert.deepEqual(r.rawModes, [true, false]);
});

Deno.test("runConsole throws the stream's error, restoring the terminal", async () => {
  const r = rig();
  const running = runConsole(r.stream, r.io);
  await r.device.abort(new Error("Serial port /dev/ttyUSB0 disconnected: the device hung up"));
  await assert.rejects(running, /ttyUSB0 disconnected/);
  assert.deepEqual(r.rawModes, [true, false]);
});

Deno.test("runConsole stops on its signal (SIGINT/SIGTERM in the CLI)", async () => {
  const r = rig();
  const abort = new AbortController();
  const running = runConsole(r.stream, { ...r.io, signal: abort.signal });
  await r.type("x");
  abort.abort();
  assert.equal(await running, "interrupted");
  assert.equal(await r.deviceHeard, "x");
  assert.deepEqual(r.rawModes, [true, false]);
});

Deno.test("runConsole as a pipe: Ctrl-B passes, output shows until the linger time ends", async () => {
  const r = rig();
  const { setRaw: _, ...pipeIo } = r.io;
  const running = runConsole(r.stream, { ...pipeIo, lingerMs: 100 });
  await r.type("\x02\x02\x02data");
  await r.keyboard.close();
  await r.device.write(encoder.encode("answer"));
  assert.equal(await running, "input-ended");
  assert.equal(await r.deviceHeard, "\x02\x02\x02data");
  assert.equal(decoder.decode(new Uint8Array(r.screen)), "answer");
  assert.deepEqual(r.rawModes, []);
});
