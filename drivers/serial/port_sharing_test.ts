/**
 * PySerial's port over a session's life: unplugging and replugging it, one console at a time
 * while others read the log, and no log directory at all. Real socat pty pairs as the board.
 */
import assert from "node:assert/strict";
import { clientRegistryOf, openExporter, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";
import { PySerial } from "./driver.ts";
import { PySerialClient } from "./client.ts";
import { TtyPort } from "./tty_port.ts";
import { ptyPair, tempDir, waitFor } from "./_testing/pty.ts";
import { collectLog, readPeerUntil, readUntil } from "./_testing/reading.ts";
import { driverPackage } from "./package.ts";

const encoder = new TextEncoder();

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
