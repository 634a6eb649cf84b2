/**
 * PySerial against real peers: socat pty pairs (one end for the driver, the other for the test
 * as "the board"), a shell on a pty, and a socat TCP serial server, all through a real session.
 * Throughput is in `throughput_test.ts`, unplugging and sharing the port in `port_sharing_test.ts`.
 */
import assert from "node:assert/strict";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { Expect, ExpectTimeoutError } from "@jumpstarter/lib/streams";
import { PySerial } from "./driver.ts";
import { PySerialClient } from "./client.ts";
import { TtyPort } from "./tty_port.ts";
import { ptyShell, startSocat, tempDir, waitFor } from "./_testing/pty.ts";
import { readPeerUntil, readUntil } from "./_testing/reading.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

const encoder = new TextEncoder();
const MiB = 1024 * 1024;

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
