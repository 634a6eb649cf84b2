/**
 * PySerial against real peers: socat pty pairs (one end for the driver, the other for the test
 * as "the board"), a shell on a pty, and a socat TCP serial server, all through a real session.
 */
import assert from "node:assert/strict";
import { HTTP2_WINDOW_BYTES } from "@jumpstarter/protos";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";
import { Expect, ExpectTimeoutError } from "@jumpstarter/lib/streams";
import { PySerial } from "./driver.ts";
import { PySerialClient } from "./client.ts";
import { TtyPort } from "./tty_port.ts";
import { ptyPair, ptyShell, startSocat, tempDir, waitFor } from "./_testing/pty.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

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

/** Reads `readable` until `text` was seen; returns everything read. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
): Promise<string> {
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${text}"; got ${JSON.stringify(seen)}`);
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

async function readPeerUntil(peer: TtyPort, text: string): Promise<string> {
  let seen = "";
  while (!seen.includes(text)) {
    const chunk = await peer.read();
    if (chunk === null) throw new Error("peer closed");
    seen += decoder.decode(chunk, { stream: true });
  }
  return seen;
}

async function collectLog(client: PySerialClient): Promise<string> {
  let text = "";
  for await (const chunk of client.readLog()) text += chunk;
  return text;
}

Deno.test("PySerial config: defaults, upstream class path, clear errors", async (t) => {
  await using dir = await tempDir();
  const type = driverRegistry.get("jumpstarter_driver_pyserial.driver.PySerial");
  assert.equal(type?.name, "PySerial");
  await t.step("defaults mirror upstream", () => {
    const parsed = type!.config.parse({ url: "/dev/ttyUSB0" });
    assert.deepEqual(parsed, {
      url: "/dev/ttyUSB0",
      baudrate: 115200,
      "check_present": true,
      "disable_hupcl": false,
      "log_max_bytes": 16 * MiB,
    });
  });
  await t.step("bad values are named", () => {
    const bad = (config: unknown) => {
      const result = type!.config.safeParse(config);
      assert.ok(!result.success);
      return result.error.issues.map((issue) => issue.message).join("; ");
    };
    assert.match(bad({ url: "rfc2217://host:2217" }), /rfc2217:\/\/.*not supported/);
    assert.match(bad({ url: "socket://nohost" }), /expected socket:\/\/HOST:PORT/);
    assert.match(bad({ url: "/dev/x", baudrate: "fast" }), /expected number/);
    assert.match(bad({ url: "/dev/x", "log_max_bytes": 10 }), />=1024/);
    assert.match(bad({ url: "/dev/x", parity: "N" }), /parity/);
  });
  await t.step("a missing device fails at startup, naming it", () => {
    const missing = `${dir.path}/ttyUSB9`;
    assert.throws(
      () => type!.create(type!.config.parse({ url: missing }), {}),
      new RegExp(`Cannot open serial port ${missing}: No such file or directory`),
    );
    assert.throws(() => new PySerial({ url: "/etc/hostname" }), /not a terminal device/);
  });
  await t.step("with check_present false a missing device fails at connect", async () => {
    const missing = `${dir.path}/ttyACM0`;
    const driver = new PySerial({ url: missing, checkPresent: false, logDir: dir.path });
    await using served = await serve(driver, PySerialClient);
    await assert.rejects(
      served.client.connect(),
      (error) =>
        error instanceof ConnectionError &&
        error.message === `Cannot open serial port ${missing}: No such file or directory`,
    );
  });
});

Deno.test("PySerial loop:// sends and receives, also through expect (upstream's test)", async () => {
  await using dir = await tempDir();
  await using served = await serve(
    new PySerial({ url: "loop://", logDir: dir.path }),
    PySerialClient,
  );
  const stream = await served.client.connect();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  await writer.write(encoder.encode("hello"));
  assert.equal(await readUntil(reader, "hello"), "hello");
  reader.releaseLock();
  writer.releaseLock();
  await using session = new Expect(stream);
  await session.sendline("hello");
  assert.equal((await session.expect("hello")).match, "hello");
});

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

Deno.test("PySerial: unplugging fails the stream clearly, the session serves on, replugging works", async () => {
  await using dir = await tempDir();
  const a = `${dir.path}/a`;
  const b = `${dir.path}/b`;
  const socat = await ptyPair(a, b);
  await using served = await serve(
    new PySerial({ url: a, logDir: `${dir.path}/logs` }),
    PySerialClient,
  );
  let peer = await TtyPort.open(b, 115200);
  const stream = await served.client.connect();
  const reader = stream.readable.getReader();
  // the board streams output until it is unplugged
  const boardTalking = (async () => {
    for (let i = 0;; i++) await peer.write(encoder.encode(`line ${i}\r\n`));
  })().catch((error) => error);
  await readUntil(reader, "line 100\r\n");
  await socat.stop();
  assert.match(String(await boardTalking), /PortGoneError: Input\/output error/);
  await peer.close();
  const failure = await (async () => {
    for (;;) await reader.read();
  })().catch((error) => error);
  assert.ok(failure instanceof ConnectionError, String(failure));
  assert.match(failure.message, new RegExp(`^Serial port ${a} disconnected: the device hung up`));

  // the session still serves: other calls work, and connect says why it cannot
  const logPath = await served.client.logPath();
  assert.match(await collectLog(served.client), /line 100\r\n/);
  await assert.rejects(
    served.client.connect(),
    new RegExp(`Cannot open serial port ${a}: No such file or directory`),
  );

  // the device comes back on the same path
  await using _again = await ptyPair(a, b);
  peer = await TtyPort.open(b, 115200);
  try {
    // the driver reopens the port by itself, so the log resumes before anyone connects
    await peer.write(encoder.encode("booting again\r\n"));
    await waitFor("the log to resume", async () => {
      return (await collectLog(served.client)).endsWith("booting again\r\n") ? true : undefined;
    });
    const second = await served.client.connect();
    const writer = second.writable.getWriter();
    await writer.write(encoder.encode("are you back?"));
    assert.equal(await readPeerUntil(peer, "are you back?"), "are you back?");
    await peer.write(encoder.encode("yes, back"));
    assert.equal(await readUntil(second.readable.getReader(), "yes, back"), "yes, back");
    await writer.close();
    assert.equal(await served.client.logPath(), logPath, "one log for the whole session");
    assert.match(await collectLog(served.client), /line 100\r\n[^]*booting again\r\nyes, back$/);
  } finally {
    await peer.close();
  }
});

Deno.test("PySerial allows one connect at a time; others read the log meanwhile", async () => {
  await using dir = await tempDir();
  const a = `${dir.path}/a`;
  await using _socat = await ptyPair(a, `${dir.path}/b`);
  const logDir = `${dir.path}/logs`;
  await using served = await serve(
    new PySerial({ url: a, logDir, logName: "board1" }),
    PySerialClient,
  );
  const peer = await TtyPort.open(`${dir.path}/b`, 115200);
  let logPath: string;
  try {
    const first = await served.client.connect();
    const reader = first.readable.getReader();
    await peer.write(encoder.encode("U-Boot 2024.01\r\n"));
    await readUntil(reader, "U-Boot 2024.01");

    // a second client on its own connection: busy for connect, but the log is readable
    using other = await openExporter(served.address, {
      policy: UNSAFE_POLICY,
      registry: clientRegistryOf([driverPackage]),
    });
    const second = other.root as PySerialClient;
    await assert.rejects(
      second.connect(),
      (error) => error instanceof ConnectionError && /is busy: another client/.test(error.message),
    );
    assert.equal(await collectLog(second), "U-Boot 2024.01\r\n");
    logPath = await second.logPath();
    assert.match(logPath, new RegExp(`^${logDir}/board1-\\d{8}T\\d{6}\\.\\d{3}Z\\.log$`));

    // a follower sees new output as it comes, while the first client still reads it too
    const follower = second.readLog({ follow: true });
    assert.equal((await follower.next()).value, "U-Boot 2024.01\r\n");
    await peer.write(encoder.encode("Hit any key to stop autoboot\r\n"));
    assert.equal((await follower.next()).value, "Hit any key to stop autoboot\r\n");
    await readUntil(reader, "autoboot");
    await follower.return(undefined);

    // after the first client leaves, output is still logged, and connect works again
    reader.releaseLock();
    await first.writable.close();
    await first.readable.cancel();
    await peer.write(encoder.encode("Starting kernel ...\r\n"));
    await waitFor("the log to catch up", async () => {
      const text = await collectLog(second);
      return text.endsWith("Starting kernel ...\r\n") ? text : undefined;
    });
    const third = await second.connect();
    await third.writable.close();
  } finally {
    await peer.close();
  }
  await served.close();
  // the log outlives the session
  assert.equal(
    await Deno.readTextFile(logPath),
    "U-Boot 2024.01\r\nHit any key to stop autoboot\r\nStarting kernel ...\r\n",
  );
});

Deno.test("PySerial without a log directory still works; log_path says why there is no log", async () => {
  await using dir = await tempDir();
  const a = `${dir.path}/a`;
  await using _socat = await ptyPair(a, `${dir.path}/b`);
  await Deno.writeTextFile(`${dir.path}/file`, "");
  await using served = await serve(
    new PySerial({ url: a, logDir: `${dir.path}/file/logs` }),
    PySerialClient,
  );
  await assert.rejects(
    served.client.logPath(),
    (error) =>
      error instanceof DriverError &&
      error.message.startsWith(`Serial port ${a} has no console log: cannot create`),
  );
  const stream = await served.client.connect();
  await stream.writable.close();
});

Deno.test("PySerial expect() drives a shell on a pty", async () => {
  await using dir = await tempDir();
  const link = `${dir.path}/console`;
  await using _shell = await ptyShell(link, "board$ ");
  await using served = await serve(
    new PySerial({ url: link, logDir: `${dir.path}/logs` }),
    PySerialClient,
  );
  await using session = await served.client.expect({ timeout: 10 });
  // the first prompt may have gone to the log before we attached: synchronise on a fresh one
  await session.sendline("echo ready-$((1+1))");
  await session.expect("ready-2");
  await session.expect("board$ ");
  await session.sendline("echo $((6*7))");
  const { before, match } = await session.expect("42");
  assert.equal(match, "42");
  // the shell's tty echoes the command line; only the answer contains 42
  assert.equal(before, "echo $((6*7))\r\n");
  await session.expect("board$ ");
  const error = await session.expect("login:", { timeout: 0.3 }).catch((error) => error);
  assert.ok(error instanceof ExpectTimeoutError, String(error));
  assert.match(error.message, /^Timed out after 0\.3 s waiting for "login:"; last output:\n/);
  assert.match(error.message, /echo \$\(\(6\*7\)\)\n42\nboard\$ $/);
  assert.match(session.transcript, /42\r\nboard\$ $/);
});

Deno.test("PySerial socket:// talks to a TCP serial server", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await using _server = await startSocat(
    `TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr`,
    `pty,raw,echo=0,link=${dir.path}/board`,
    { ready: "listening on" },
  );
  await using served = await serve(
    new PySerial({ url: `socket://127.0.0.1:${port}`, logDir: dir.path }),
    PySerialClient,
  );
  const peer = await waitFor("the server's pty", async () => {
    try {
      return await TtyPort.open(`${dir.path}/board`, 115200);
    } catch {
      return undefined;
    }
  });
  try {
    const stream = await served.client.connect();
    const writer = stream.writable.getWriter();
    await writer.write(encoder.encode("ping"));
    assert.equal(await readPeerUntil(peer, "ping"), "ping");
    await peer.write(encoder.encode("pong"));
    assert.equal(await readUntil(stream.readable.getReader(), "pong"), "pong");
    await writer.close();
    assert.match(await served.client.logPath(), /socket-127\.0\.0\.1-\d+-/);
  } finally {
    await peer.close();
  }
});
