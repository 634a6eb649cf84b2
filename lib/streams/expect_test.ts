import assert from "node:assert/strict";
import { ConnectionError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import { EOF, Expect, ExpectEofError, ExpectTimeoutError, outputTail, TIMEOUT } from "./expect.ts";

const encoder = new TextEncoder();

/** An Expect over an in-memory pair, and the peer's ends. */
function pair(options: ConstructorParameters<typeof Expect>[1] = {}) {
  // the peer's writes are buffered, so a test can say things before anyone reads them
  const fromPeer = new TransformStream<Uint8Array, Uint8Array>(
    {},
    undefined,
    new CountQueuingStrategy({ highWaterMark: 1000 }),
  );
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  const session = new Expect({ readable: fromPeer.readable, writable: toPeer.writable }, options);
  const peerWriter = fromPeer.writable.getWriter();
  return {
    session,
    say: (text: string | Uint8Array) =>
      peerWriter.write(typeof text === "string" ? encoder.encode(text) : text),
    hangUp: () => peerWriter.close(),
    fail: (error: Error) => peerWriter.abort(error),
    heard: toPeer.readable,
  };
}

async function text(readable: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(readable).text();
}

Deno.test("Expect matches text split across chunks and tracks before, buffer and transcript", async () => {
  const { session, say } = pair();
  say("U-Bo");
  say("ot 2024\r\nHit any ");
  const waiting = session.expect("any key");
  say("key to stop autoboot:  3 ");
  const found = await waiting;
  assert.deepEqual(
    { index: found.index, match: found.match, before: found.before },
    { index: 0, match: "any key", before: "U-Boot 2024\r\nHit " },
  );
  assert.equal(session.before, "U-Boot 2024\r\nHit ");
  assert.equal(session.match, "any key");
  assert.equal(session.buffer, " to stop autoboot:  3 ");
  assert.equal(session.transcript, "U-Boot 2024\r\nHit any key to stop autoboot:  3 ");
});

Deno.test("Expect picks the earliest match among patterns, the first pattern on a tie", async () => {
  const { session, say } = pair();
  await say("login: root\r\nPassword: ");
  const first = await session.expect(["Password:", /log(in)?:/g, "login:"]);
  assert.equal(first.index, 1);
  assert.equal(first.groups?.[1], "in");
  assert.equal(first.before, "");
  const second = await session.expect([/word/, "Password"]);
  assert.equal(second.index, 1, "Password starts before word");
  assert.equal(second.before, " root\r\n");
  // a global regexp keeps no state between calls
  await say("a1 a2");
  const pattern = /a\d/g;
  assert.equal((await session.expect(pattern)).match, "a1");
  assert.equal((await session.expect(pattern)).match, "a2");
});

Deno.test("Expect times out with DriverTimeoutError naming the pattern and showing the tail", async () => {
  const { session, say } = pair({ timeout: 0.05 });
  for (let i = 0; i < 50; i++) await say(`line ${i}\r\n`);
  await say("\x1b[1mprompt>\x1b[0m ");
  const error = await session.expect(["login:", /^#/m]).catch((error) => error);
  assert.ok(error instanceof ExpectTimeoutError);
  assert.ok(error instanceof DriverTimeoutError, "maps to DEADLINE_EXCEEDED");
  assert.match(
    error.message,
    /^Timed out after 0\.05 s waiting for "login:" or \/\^#\/m; last output:\n/,
  );
  assert.match(error.message, /line 49\n\\x1b\[1mprompt>\\x1b\[0m $/);
  assert.ok(!error.message.includes("line 30\n"), "only the last 20 lines");
  assert.equal(error.tail.split("\n").length, 20);
  // the output is still there for the next expect, with a per-call timeout
  assert.equal((await session.expect("prompt>", { timeout: 1 })).match, "prompt>");
});

Deno.test("Expect keeps bytes that arrive after a timeout", async () => {
  const { session, say } = pair();
  await assert.rejects(session.expect("ready", { timeout: 0.02 }), ExpectTimeoutError);
  await say("ready");
  assert.equal((await session.expect("ready", { timeout: 1 })).before, "");
});

Deno.test("Expect reports a timeout with no output at all", async () => {
  const { session } = pair();
  await assert.rejects(
    session.expect("$ ", { timeout: 0.01 }),
    /^ExpectTimeoutError: Timed out after 0\.01 s waiting for "\$ "; no output was received$/,
  );
});

Deno.test("Expect fails clearly at end of stream, or matches EOF when asked", async () => {
  const ended = pair();
  await ended.say("Kernel panic - not syncing\r\n");
  await ended.hangUp();
  const error = await ended.session.expect("login:").catch((error) => error);
  assert.ok(error instanceof ExpectEofError);
  assert.ok(error instanceof ConnectionError);
  assert.equal(
    error.message,
    'End of stream while waiting for "login:": the stream ended; last output:\nKernel panic - not syncing\n',
  );
  assert.ok(ended.session.eof);

  const matched = pair();
  await matched.say("bye");
  await matched.hangUp();
  const found = await matched.session.expect(["login:", EOF]);
  assert.deepEqual([found.index, found.before, found.match], [1, "bye", ""]);
  assert.equal(matched.session.buffer, "");

  const broken = pair();
  await broken.say("half a line");
  broken.fail(new Error("device unplugged"));
  await assert.rejects(
    broken.session.expect("\n"),
    /End of stream while waiting for "\\n": the stream failed \(device unplugged\); last output:\nhalf a line$/,
  );
});

Deno.test("Expect TIMEOUT as a pattern returns instead of throwing, keeping the buffer", async () => {
  const { session, say } = pair();
  await say("partial");
  const found = await session.expect(["done", TIMEOUT], { timeout: 0.02 });
  assert.deepEqual([found.index, found.before], [1, "partial"]);
  assert.equal(session.buffer, "partial");
});

Deno.test("Expect decodes UTF-8 split across chunks", async () => {
  const { session, say } = pair();
  const bytes = encoder.encode("température: 21 °C");
  for (const byte of bytes) await say(new Uint8Array([byte]));
  assert.equal((await session.expect("°C")).before, "température: 21 ");
});

Deno.test("Expect sends text, lines and bytes; close ends the sending side", async () => {
  const { session, heard } = pair({ linesep: "\r" });
  const received = text(heard);
  await session.send("ls");
  await session.sendline(" -l");
  await session.send(new Uint8Array([0x03]));
  await session.close();
  assert.equal(await received, "ls -l\r\x03");
  await assert.rejects(session.send("x"), /session is closed/);
  await assert.rejects(session.expect("x"), /session is closed/);
});

Deno.test("Expect refuses overlapping expects and empty pattern lists", async () => {
  const { session, say } = pair();
  const first = session.expect("a");
  await assert.rejects(session.expect("b"), /another expect\(\) is still waiting/);
  await say("a");
  await first;
  await assert.rejects(session.expect([]), /no pattern/);
});

Deno.test("outputTail keeps at most 2000 characters and escapes control characters", () => {
  const tail = outputTail("x".repeat(5000));
  assert.equal(tail.length, 2000);
  assert.equal(outputTail("a\r\nb\rc\x07\td"), "a\nb\nc\\x07\td");
});
