/**
 * SocketCAN: the `struct can_frame` layout (linux/can.h) and opening on this kernel. This machine
 * has no AF_CAN (no vcan), so frames cannot travel here; opening must fail with the kernel's reason.
 */
import assert from "node:assert/strict";
import { canFrame } from "./message.ts";
import { decodeCanFrame, encodeCanFrame, openSocketCan } from "./socketcan_bus.ts";

Deno.test("frames encode as the kernel's struct can_frame and decode back", () => {
  const extended = canFrame({ arbitrationId: 0x18daf110, data: new Uint8Array([1, 2, 3]) });
  assert.deepEqual(
    [...encodeCanFrame(extended)],
    [0x10, 0xf1, 0xda, 0x98, 3, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0],
  );
  const remote = canFrame({
    arbitrationId: 0x7df,
    isExtendedId: false,
    isRemoteFrame: true,
    dlc: 8,
  });
  assert.deepEqual([...encodeCanFrame(remote).subarray(0, 5)], [0xdf, 0x07, 0, 0x40, 8]);
  const error = canFrame({ arbitrationId: 0x4, isExtendedId: false, isErrorFrame: true });
  assert.equal(new DataView(encodeCanFrame(error).buffer).getUint32(0, true), 0x20000004);

  const decoded = decodeCanFrame(encodeCanFrame(extended), "can0");
  assert.equal(decoded.arbitrationId, 0x18daf110);
  assert.equal(decoded.isExtendedId, true);
  assert.deepEqual([...decoded.data], [1, 2, 3]);
  assert.equal(decoded.channel, "can0");
  const decodedRemote = decodeCanFrame(encodeCanFrame(remote), "can0");
  assert.equal(decodedRemote.isRemoteFrame, true);
  assert.equal(decodedRemote.arbitrationId, 0x7df);
  assert.equal(decodedRemote.data.length, 0);
});

Deno.test("opening SocketCAN here fails with the kernel's reason, in one line", async () => {
  const error = await openSocketCan("can0").then(() => undefined, (error: Error) => error);
  assert.ok(error !== undefined, "a SocketCAN bus opened on a host without can0");
  assert.match(
    error.message,
    /^Cannot open SocketCAN channel can0: (socket\(AF_CAN\): Address family not supported by protocol|no network interface "can0" on this host)$/,
  );
});
