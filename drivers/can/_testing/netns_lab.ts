/**
 * Runs INSIDE a network namespace (started by `udp_multicast_test.ts` with `unshare -n`): our
 * Can and IsoTpPython drivers on python-can's udp_multicast bus, served in-process and driven
 * through their clients, against `python_can_peer.py` (real python-can). Prints one `PASS <what>`
 * line per check and exits 0, or prints `FAIL <what>: <why>` and exits 1.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "../package.ts";
import { CanClient, IsoTpClient } from "../client.ts";
import { startPeer } from "./python_can_peer.ts";

const GROUP = "239.74.163.2";
const CONFIG = `
export:
  can:
    type: jumpstarter_driver_can.driver.Can
    config: { channel: "${GROUP}", interface: udp_multicast }
  isotp:
    type: jumpstarter_driver_can.driver.IsoTpPython
    config:
      channel: "${GROUP}"
      interface: udp_multicast
      address: { addressing_mode: 0, txid: 0x7E0, rxid: 0x7E8 }
      params: { blocksize: 4, stmin: 0, tx_padding: 0xAA, rx_flowcontrol_timeout: 3000 }
`;

async function check(what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    console.log(`PASS ${what}`);
  } catch (error) {
    console.log(`FAIL ${what}: ${(error as Error).message.replaceAll("\n", " ")}`);
    Deno.exit(1);
  }
}

const packages = [driverPackage];
const root = await buildDriverTree(parseExporterConfig(CONFIG, "can.yaml"), {
  registry: driverRegistryOf(packages),
});
await using served = await serve(root, undefined, { packages });
const can = served.client.child("can", CanClient);
const isotp = served.client.child("isotp", IsoTpClient);

const { process: peer, output } = startPeer(GROUP);
await output.waitFor("ready");

await check("channel_info, state and protocol as python-can reports them", async () => {
  assert.equal(await can.channelInfo(), `UDP multicast group ${GROUP} port 43113`);
  assert.equal(await can.state(), 1);
  assert.equal(await can.protocol(), 1);
});

await check("a frame to python-can and its answer back, through a filter", async () => {
  await can.setFilters([{ can_id: 0x124, can_mask: 0x7ff }]);
  const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  await can.send({ arbitrationId: 0x123, isExtendedId: false, data });
  const answer = await can.recv(5);
  assert.ok(answer !== undefined, "no answer within 5 s");
  assert.equal(answer.arbitrationId, 0x124);
  assert.equal(answer.isExtendedId, false);
  assert.deepEqual([...answer.data], [8, 7, 6, 5, 4, 3, 2, 1]);
  await output.waitFor("frame 0102030405060708");
  await can.setFilters(null);
});

await check("recv with a timeout and nothing on the bus returns nothing", async () => {
  const started = Date.now();
  assert.equal(await can.recv(0.3), undefined);
  assert.ok(Date.now() - started >= 250, "recv returned before its timeout");
});

await check("an oversize frame is refused before it reaches the bus", async () => {
  const error = await can.send({
    arbitrationId: 0x123,
    isExtendedId: false,
    data: new Uint8Array(9),
  })
    .then(() => undefined, (error: Error) => error);
  assert.match(String(error?.message), /9 data bytes is more than a CAN frame holds \(8\)/);
});

const payload = new Uint8Array(4095);
crypto.getRandomValues(payload);
await check(
  "ISO-TP: 4095 bytes to python-can and 4095 back, with flow control both ways",
  async () => {
    await isotp.start();
    await isotp.send(payload, 10);
    await output.waitFor("isotp received 4095");
    const answer = await isotp.recv(true, 10);
    assert.ok(answer !== null, "no ISO-TP payload back within 10 s");
    assert.equal(answer.length, 4095);
    assert.deepEqual(answer, payload.map((byte) => byte ^ 0xff));
    await output.waitFor("isotp sent 4095");
  },
);

await check("ISO-TP: a short payload travels as one single frame", async () => {
  await isotp.send(new Uint8Array([0x10, 0x03]), 5);
  assert.deepEqual(await isotp.recv(true, 5), new Uint8Array([0xef, 0xfc]));
});

await check("ISO-TP: a payload over the peer's 4095 bytes ends in its overflow", async () => {
  const error = await isotp.send(new Uint8Array(5000), 5).then(() => undefined, (e: Error) => e);
  assert.match(String(error?.message), /reported overflow: a 5000-byte payload/);
  await output.waitFor("isotp overflow");
});

await check("the python-can peer ends cleanly", async () => {
  await can.send({ arbitrationId: 0x7ff, isExtendedId: false });
  const status = await peer.status;
  assert.equal(status.code, 0, `peer exited with ${status.code}`);
});

await check("ISO-TP: no flow control (peer gone) times out clearly", async () => {
  const error = await isotp.send(new Uint8Array(100), 5).then(() => undefined, (e: Error) => e);
  assert.match(String(error?.message), /sent no flow control within 3000 ms \(sending 100 bytes\)/);
});

await check("after shutdown the bus is gone and says so", async () => {
  await can.shutdown();
  const error = await can.send({ arbitrationId: 0x1 }).then(() => undefined, (e: Error) => e);
  assert.match(String(error?.message), /CAN bus UDP multicast group .* is shut down/);
});
