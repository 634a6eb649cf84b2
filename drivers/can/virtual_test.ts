/** Can and IsoTpPython on the in-process virtual bus, served through real sessions. */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { driverPackage } from "./package.ts";
import { CanClient, IsoTpClient } from "./client.ts";

const packages = [driverPackage];

async function lab(channel: string) {
  const config = `
export:
  left: { type: jumpstarter_driver_can.driver.Can, config: { channel: ${channel}, interface: virtual } }
  right: { type: Can, config: { channel: ${channel}, interface: virtual } }
  tester:
    type: IsoTpPython
    config:
      channel: ${channel}-isotp
      interface: virtual
      address: { txid: 0x7E0, rxid: 0x7E8 }
      params: { blocksize: 0, stmin: 1 }
  ecu:
    type: jumpstarter_driver_can.driver.IsoTpPython
    config:
      channel: ${channel}-isotp
      interface: virtual
      address: { txid: 0x7E8, rxid: 0x7E0 }
      params: { blocksize: 16, tx_padding: 0x55 }
  socket:
    type: jumpstarter_driver_can.driver.IsoTpSocket
    config: { channel: vcan0, address: { txid: 0x7E0, rxid: 0x7E8 } }
`;
  const root = await buildDriverTree(parseExporterConfig(config, "can.yaml"), {
    registry: driverRegistryOf(packages),
  });
  return await serve(root, undefined, { packages });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail("expected the call to fail");
}

Deno.test("Can on the virtual bus: frames, filters, periodic sends, timeout, shutdown", async () => {
  await using served = await lab("vbus-frames");
  const left = served.client.child("left", CanClient);
  const right = served.client.child("right", CanClient);
  assert.equal(await left.channelInfo(), "Virtual bus channel vbus-frames");

  await left.send({ arbitrationId: 0x18daf110, data: new Uint8Array([0xde, 0xad]) });
  const frame = await right.recv(2);
  assert.equal(frame?.arbitrationId, 0x18daf110);
  assert.equal(frame.isExtendedId, true);
  assert.deepEqual([...frame.data], [0xde, 0xad]);
  assert.equal(await left.recv(0.05), undefined, "a bus heard its own frame");

  await right.setFilters([{ can_id: 0x200, can_mask: 0x700, extended: false }]);
  await left.send({ arbitrationId: 0x100, isExtendedId: false });
  await left.send({ arbitrationId: 0x2ab, isExtendedId: false, data: new Uint8Array([1]) });
  assert.equal((await right.recv(2))?.arbitrationId, 0x2ab);
  await right.setFilters(null);

  const task = await left.sendPeriodic([{ arbitrationId: 0x300, isExtendedId: false }], 0.01);
  for (let count = 0; count < 3; count++) assert.equal((await right.recv(2))?.arbitrationId, 0x300);
  await task.stop();
  await right.flushTxBuffer();

  const error = await failure(left.send({ arbitrationId: 0x800, isExtendedId: false }));
  assert.match(error.message, /arbitration id 0x800 does not fit 11 bits/);
  await left.shutdown();
  assert.match(
    (await failure(left.recv(0.1))).message,
    /Virtual bus channel vbus-frames is shut down/,
  );
});

Deno.test("IsoTpPython on the virtual bus: 4095 bytes both ways, small payloads, errors", async () => {
  await using served = await lab("vbus-isotp");
  const tester = served.client.child("tester", IsoTpClient);
  const ecu = served.client.child("ecu", IsoTpClient);
  assert.match((await failure(tester.send(new Uint8Array(20)))).message, /not started/);
  await tester.start();
  await ecu.start();

  const request = crypto.getRandomValues(new Uint8Array(4095));
  await tester.send(request, 10);
  assert.deepEqual(await ecu.recv(true, 5), request);
  const response = crypto.getRandomValues(new Uint8Array(4095));
  await ecu.send(response, 10);
  assert.equal(await tester.available(), true);
  assert.deepEqual(await tester.recv(), response);
  assert.equal(await tester.recv(), null);

  await tester.send(new Uint8Array([0x3e, 0x00]));
  assert.deepEqual(await ecu.recv(true, 2), new Uint8Array([0x3e, 0x00]));

  const timed = Date.now();
  assert.equal(await ecu.recv(true, 0.2), null);
  assert.ok(Date.now() - timed >= 150);

  // over the escape sequence (FF with a 32-bit length): the ECU's max_frame_size 4095 refuses it
  const oversize = await failure(tester.send(new Uint8Array(5000), 5));
  assert.match(oversize.message, /receiver 0x7e8 reported overflow: a 5000-byte payload/);
  assert.match(
    (await failure(ecu.recv())).message,
    /announced 5000 bytes, more than max_frame_size 4095/,
  );

  await ecu.stop();
  const silent = await failure(tester.send(new Uint8Array(64), 5));
  assert.match(silent.message, /sent no flow control within 1000 ms \(sending 64 bytes\)/);
});

Deno.test("IsoTpSocket says plainly that kernel ISO-TP sockets are not available, and why", async () => {
  await using served = await lab("vbus-socket");
  const socket = served.client.child("socket", IsoTpClient);
  assert.match(
    (await failure(socket.start())).message,
    /^Cannot open a kernel ISO-TP socket on vcan0: (socket\(AF_CAN, CAN_ISOTP\): Address family not supported by protocol|kernel ISO-TP sockets are not implemented by this exporter); use IsoTpPython$/,
  );
});

Deno.test("Can and IsoTpPython refuse what they cannot open, in one line", async () => {
  const build = (config: string) =>
    buildDriverTree(parseExporterConfig(config, "can.yaml"), {
      registry: driverRegistryOf(packages),
    });
  const socketcan = await build(
    "export:\n  can: { type: Can, config: { channel: can0, interface: socketcan } }\n",
  );
  await using served = await serve(socketcan, undefined, { packages });
  const can = served.client.child("can", CanClient);
  assert.match(
    (await failure(can.channelInfo())).message,
    /^Cannot open SocketCAN channel can0: (socket\(AF_CAN\): Address family not supported by protocol|no network interface "can0" on this host)$/,
  );
  const pcan = await build(
    "export:\n  can: { type: Can, config: { channel: 1, interface: pcan } }\n",
  );
  await using other = await serve(pcan, undefined, { packages });
  assert.match(
    (await failure(other.client.child("can", CanClient).send({ arbitrationId: 1 }))).message,
    /python-can interface "pcan" is not available here \(this exporter has virtual, udp_multicast, socketcan\)/,
  );
  const mixed = build(
    "export:\n  t:\n    type: IsoTpPython\n    config: { interface: virtual, address: { addressing_mode: 3, txid: 1, rxid: 2 } }\n",
  );
  assert.match((await failure(mixed)).message, /addressing_mode 3 is not supported/);
});

Deno.test("a session's end closes the buses; the next session reopens them", async () => {
  await using served = await lab("vbus-sessions");
  const left = served.client.child("left", CanClient);
  const right = served.client.child("right", CanClient);
  const tester = served.client.child("tester", IsoTpClient);
  const ecu = served.client.child("ecu", IsoTpClient);
  await left.shutdown();
  const drivers = ["left", "right", "tester", "ecu"].map((name) =>
    served.session.root.children.get(name)!
  );
  for (const driver of drivers) await driver.close();
  for (const driver of drivers) await driver.reset();
  await left.send({ arbitrationId: 0x42, data: new Uint8Array([7]) });
  assert.deepEqual([...(await right.recv(2))?.data ?? []], [7]);
  await tester.start();
  await ecu.start();
  await tester.send(new Uint8Array(100).fill(9), 5);
  assert.deepEqual(await ecu.recv(true, 5), new Uint8Array(100).fill(9));
});

Deno.test("IsoTpPython over CAN FD (64-byte frames): single frames up to 62 bytes, 4095 bytes", async () => {
  const fd = "{ can_fd: true, tx_data_length: 64, tx_padding: 0 }";
  const root = await buildDriverTree(
    parseExporterConfig(
      `export:
  a: { type: IsoTpPython, config: { channel: fd, interface: virtual, address: { txid: 1, rxid: 2 }, params: ${fd} } }
  b: { type: IsoTpPython, config: { channel: fd, interface: virtual, address: { txid: 2, rxid: 1 }, params: ${fd} } }
`,
      "fd.yaml",
    ),
    { registry: driverRegistryOf(packages) },
  );
  await using served = await serve(root, undefined, { packages });
  const a = served.client.child("a", IsoTpClient);
  const b = served.client.child("b", IsoTpClient);
  await a.start();
  await b.start();
  for (const size of [7, 40, 62, 63, 4095]) {
    const payload = crypto.getRandomValues(new Uint8Array(size));
    await a.send(payload, 5);
    assert.deepEqual(await b.recv(true, 5), payload, `${size} bytes a -> b`);
    await b.send(payload.reverse(), 5);
    assert.deepEqual(await a.recv(true, 5), payload, `${size} bytes b -> a`);
  }
});
