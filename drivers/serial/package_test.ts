/**
 * The package descriptor alone (explicit registries, no global one) builds PySerial and
 * NVDemuxSerial from upstream's class paths and gives them `PySerialClient` and its `j` commands;
 * the client's typed calls reach the driver's methods, `close` included (the one exception to
 * binding by name), and take per-call options.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, clientEntriesOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import { PySerial } from "./driver.ts";
import { PySerialClient } from "./client.ts";
import { pyserialCli } from "./cli.ts";
import { tempDir } from "./_testing/pty.ts";

async function readText(reader: ReadableStreamDefaultReader<Uint8Array>, want: string) {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(want)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before "${want}"; read ${JSON.stringify(text)}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

Deno.test("driverPackage registers both serial types under upstream's class paths", () => {
  const registry = driverRegistryOf([driverPackage]);
  assert.equal(registry.get("jumpstarter_driver_pyserial.driver.PySerial")?.name, "PySerial");
  assert.equal(
    registry.get("jumpstarter_driver_pyserial.nvdemux.driver.NVDemuxSerial")?.name,
    "NVDemuxSerial",
  );
  const entries = clientEntriesOf([driverPackage]);
  assert.equal(
    entries.get("jumpstarter_driver_pyserial.client.PySerialClient")?.client,
    PySerialClient,
  );
});

Deno.test("driverPackage serves a loop:// PySerial to PySerialClient with its CLI", async () => {
  await using dir = await tempDir();
  const config = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  serial:
    type: jumpstarter_driver_pyserial.driver.PySerial
    config: { url: "loop://", log_dir: "${dir.path}" }
`;
  const registry = driverRegistryOf([driverPackage]);
  const root = await buildDriverTree(parseExporterConfig(config, "lab.yaml"), { registry });
  assert.ok(root.children.get("serial") instanceof PySerial);
  await using served = await serve(root, undefined, {
    registry: clientRegistryOf([driverPackage]),
  });
  const serial = served.client.child("serial", PySerialClient);
  assert.equal(cliBuilderOf([driverPackage], serial), pyserialCli);

  const stream = await serial.connect();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  await writer.write(new TextEncoder().encode("ping\n"));
  assert.equal(await readText(reader, "ping\n"), "ping\n");
  await serial.setDtr(true, { timeoutMs: 5000 });
  assert.match(await serial.logPath(), new RegExp(`^${dir.path}/loop-`));

  // the wire's `close` ends the attached client's stream, not the driver's session
  await serial.closeConnection({ timeoutMs: 5000 });
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
  let logged = "";
  for await (const chunk of serial.readLog()) logged += chunk;
  assert.equal(logged, "ping\n");
  writer.releaseLock();
});

Deno.test("PySerialClient.readLog({ follow, signal }) ends with the signal's reason", async () => {
  await using dir = await tempDir();
  await using served = await serve(new PySerial({ url: "loop://", logDir: dir.path }), undefined, {
    registry: clientRegistryOf([driverPackage]),
  });
  const serial = served.client as PySerialClient;
  const stream = await serial.connect();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  await writer.write(new TextEncoder().encode("boot\n"));
  await readText(reader, "boot\n");
  const abort = new AbortController();
  const follower = serial.readLog({ follow: true, signal: abort.signal });
  assert.equal((await follower.next()).value, "boot\n");
  const waiting = follower.next();
  const reason = new Error("the test stopped following");
  abort.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  await serial.closeConnection();
  writer.releaseLock();
});
