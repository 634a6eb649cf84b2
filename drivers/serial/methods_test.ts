/**
 * Upstream's extra PySerial methods and keys: `set_dtr`/`set_rts` on a real UART (the machine's
 * 16550A at /dev/ttyS0, whose modem lines the kernel reports in /proc/tty/driver/serial; only
 * its modem lines are touched, nothing is written to it), `disable_hupcl` on a pty, `close`
 * ending the connected client's stream, and `cps` throttling; the methods also driven by
 * upstream's own client library.
 */
import assert from "node:assert/strict";
import { Composite } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { PySerial, type PySerialOptions } from "./driver.ts";
import { PySerialClient } from "./client.ts";
import { driverPackage } from "./package.ts";
import { ptyPair, tempDir, waitFor } from "./_testing/pty.ts";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";

const PACKAGES = [driverPackage];

const UART = "/dev/ttyS0";
const decoder = new TextDecoder();

/** The modem lines the kernel reports for ttyS0 right now (e.g. ["RTS", "CTS", "DTR"]). */
async function uartLines(): Promise<string[]> {
  const table = await Deno.readTextFile("/proc/tty/driver/serial");
  const line = table.split("\n").find((row) => row.startsWith("0: "));
  assert.ok(line, `no ttyS0 line in /proc/tty/driver/serial:\n${table}`);
  const flags = line.split(" ").at(-1) ?? "";
  return flags.includes(":") ? [] : flags.split("|");
}

async function sttyOf(device: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("stty", { args: ["-F", device, ...args] }).output();
  assert.ok(
    output.success,
    `stty -F ${device} ${args.join(" ")}: ${decoder.decode(output.stderr)}`,
  );
  return decoder.decode(output.stdout).trim();
}

function stty(...args: string[]): Promise<string> {
  return sttyOf(UART, ...args);
}

/** Serves `options` as the child "serial" of a composite, as an exporter config would. */
async function serveSerial(options: PySerialOptions) {
  const root = new Composite();
  root.addChild("serial", new PySerial(options));
  const served = await serve(root, undefined, { packages: PACKAGES });
  return {
    address: served.address,
    client: served.client.child("serial", PySerialClient),
    close: () => served.close(),
    [Symbol.asyncDispose]: () => served.close(),
  };
}

/** Whether HUPCL is set on the UART, so a test can put it back as it was. */
async function hupcl(): Promise<boolean> {
  return /(^|\s)hupcl/.test(await stty("-a"));
}

async function requireUart(): Promise<void> {
  try {
    await Deno.stat(UART);
    await uartLines();
  } catch (error) {
    assert.fail(`these tests need the UART ${UART} (a 16550A here): ${error}`);
  }
}

/** Runs a Python snippet with upstream's client library against the session at `host`. */
async function upstreamClient(host: string, code: string): Promise<string> {
  const peer = upstreamPeer("head");
  const output = await new Deno.Command(peer.python, {
    args: ["-c", `from jumpstarter.common.utils import env\nwith env() as client:\n${code}`],
    env: { ...peer.env, JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" },
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = decoder.decode(output.stderr);
  assert.ok(output.success, `upstream client failed:\n${stderr}`);
  return decoder.decode(output.stdout);
}

/** Whether this machine has the 16550A the UART test needs (a VM's ttyS0); say so when not. */
function hasUart(): boolean {
  try {
    const table = Deno.readTextFileSync("/proc/tty/driver/serial");
    if (/^0: uart:16550A/m.test(table)) return true;
  } catch {
    // no serial driver table at all
  }
  console.warn("No 16550A at /dev/ttyS0 on this machine: the UART modem-line test is skipped");
  return false;
}

Deno.test({
  name: "PySerial set_dtr / set_rts drive the UART's modem lines (ours and upstream's client)",
  ignore: !hasUart(),
}, async () => {
  await requireUart();
  const saved = await hupcl();
  await using dir = await tempDir();
  try {
    await using served = await serveSerial({ url: UART, logDir: `${dir.path}/logs` });
    await served.client.setDtr(false);
    assert.ok(!(await uartLines()).includes("DTR"), `DTR still up: ${await uartLines()}`);
    await served.client.setDtr(true);
    assert.ok((await uartLines()).includes("DTR"), `DTR not up: ${await uartLines()}`);
    await served.client.setRts(false);
    assert.ok(!(await uartLines()).includes("RTS"), `RTS still up: ${await uartLines()}`);
    await served.client.setRts(true);
    assert.ok((await uartLines()).includes("RTS"), `RTS not up: ${await uartLines()}`);

    await upstreamClient(served.address, "    client.serial.call('set_dtr', False)\n");
    assert.ok(!(await uartLines()).includes("DTR"), "upstream's set_dtr(False) left DTR up");
    await upstreamClient(served.address, "    client.serial.call('set_rts', False)\n");
    assert.ok(!(await uartLines()).includes("RTS"), "upstream's set_rts(False) left RTS up");
    await upstreamClient(served.address, "    client.serial.call('set_rts', True)\n");
    assert.ok((await uartLines()).includes("RTS"), "upstream's set_rts(True) left RTS down");
  } finally {
    await stty(saved ? "hupcl" : "-hupcl");
  }
});

Deno.test("PySerial disable_hupcl clears HUPCL when it opens the device; without it HUPCL stays", async () => {
  // ttyS0 here is the kernel's console, which keeps DTR up whatever HUPCL says, so this checks
  // the flag itself (the kernel drops DTR on the last close when it is set) on a pty
  await using dir = await tempDir();
  const device = `${dir.path}/device`;
  await using _socat = await ptyPair(device, `${dir.path}/board`);
  for (const disableHupcl of [false, true]) {
    await sttyOf(device, "hupcl");
    await using served = await serveSerial({
      url: device,
      logDir: `${dir.path}/logs`,
      disableHupcl,
    });
    await served.client.setRts(true).catch(() => {}); // opens the port; a pty has no modem lines
    await waitFor("the port to be open", async () => (await served.client.logPath()) || undefined);
    const settings = await sttyOf(device, "-a");
    assert.match(settings, disableHupcl ? /(^|\s)-hupcl/ : /(^|\s)hupcl/, settings);
  }
});

Deno.test("PySerial close ends the connected client's stream (ours and upstream's client)", async () => {
  await using dir = await tempDir();
  await using served = await serveSerial({ url: "loop://", logDir: `${dir.path}/logs` });
  for (const closer of ["ours", "upstream"]) {
    const stream = await served.client.connect();
    const reader = stream.readable.getReader();
    const writer = stream.writable.getWriter();
    await writer.write(new TextEncoder().encode("ping"));
    assert.equal(decoder.decode((await reader.read()).value), "ping");
    if (closer === "ours") await served.client.closeConnection();
    else await upstreamClient(served.address, "    client.serial.call('close')\n");
    const end = await reader.read();
    assert.ok(end.done, `${closer} close(): the stream is still open`);
    // the port serves the next client
    await waitFor("a new connect after close()", async () => {
      const next = await served.client.connect();
      await next.readable.cancel();
      return true;
    });
  }
  // with nobody connected it is a no-op
  await served.client.closeConnection();
});

Deno.test("PySerial cps sends one byte at a time, 1/cps seconds apart", async () => {
  await using dir = await tempDir();
  await using served = await serveSerial({ url: "loop://", logDir: `${dir.path}/logs`, cps: 40 });
  const stream = await served.client.connect();
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  const started = performance.now();
  await writer.write(new TextEncoder().encode("0123456789"));
  let text = "";
  let chunks = 0;
  while (text.length < 10) {
    const { value, done } = await reader.read();
    assert.ok(!done, `stream ended after ${JSON.stringify(text)}`);
    text += decoder.decode(value);
    chunks++;
  }
  const elapsed = performance.now() - started;
  assert.equal(text, "0123456789");
  // 9 gaps of 25 ms
  assert.ok(elapsed >= 9 * 25 - 5, `10 bytes at 40 cps took only ${elapsed.toFixed(0)} ms`);
  assert.ok(chunks >= 5, `the bytes came in ${chunks} chunks, not one by one`);
  await reader.cancel();
});

Deno.test("our client's close / set_dtr / set_rts on upstream HEAD's exporter", async () => {
  await requireUart();
  const saved = await hupcl();
  await using dir = await tempDir();
  const device = `${dir.path}/device`;
  await using _socat = await ptyPair(device, `${dir.path}/board`);
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: serial }
endpoint: ""
token: ""
export:
  pty:
    type: jumpstarter_driver_pyserial.driver.PySerial
    config: { url: "${device}" }
  uart:
    type: jumpstarter_driver_pyserial.driver.PySerial
    config: { url: "${UART}" }
`;
  try {
    await using upstream = await serveWithUpstream(upstreamPeer("head"), config, [driverPackage]);
    const pty = upstream.handle.root.child("pty", PySerialClient);
    const stream = await pty.connect();
    const reader = stream.readable.getReader();
    await pty.closeConnection();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = await Promise.race([
      reader.read().then(({ done }) => done ? "ended" : "data", () => "ended"),
      new Promise((resolve) => timer = setTimeout(() => resolve("still open"), 10_000)),
    ]);
    clearTimeout(timer);
    assert.equal(end, "ended", "upstream's close() did not end our stream");

    const uart = upstream.handle.root.child("uart", PySerialClient);
    await uart.setDtr(false);
    assert.ok(!(await uartLines()).includes("DTR"), `DTR still up: ${await uartLines()}`);
    await uart.setDtr(true);
    assert.ok((await uartLines()).includes("DTR"), `DTR not up: ${await uartLines()}`);
    await uart.setRts(false);
    assert.ok(!(await uartLines()).includes("RTS"), `RTS still up: ${await uartLines()}`);
    await uart.setRts(true);
    assert.ok((await uartLines()).includes("RTS"), `RTS not up: ${await uartLines()}`);
  } finally {
    await stty(saved ? "hupcl" : "-hupcl");
  }
});
