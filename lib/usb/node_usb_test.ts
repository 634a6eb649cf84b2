/**
 * The real backend on this machine's USB stack: npm `usb` loads (lazily, on the first `find`), and
 * either lists the attached devices or, on a host without a USB bus (these machines, CI), fails
 * with `UsbUnavailableError` naming why instead of crashing.
 */
import assert from "node:assert/strict";
import { nodeUsbBackend } from "./node_usb.ts";
import { UsbUnavailableError } from "./transport.ts";

function hasUsbBus(): boolean {
  try {
    Deno.statSync("/sys/bus/usb/devices");
    return true;
  } catch {
    return false;
  }
}

Deno.test("nodeUsbBackend finds devices by id, or says the host has no USB bus", async () => {
  const backend = nodeUsbBackend();
  const finding = backend.find(0x2b23, 0x1012);
  if (hasUsbBus()) {
    const devices = await finding;
    assert.ok(devices.every((device) => device.vendorId === 0x2b23 && device.productId === 0x1012));
  } else {
    await assert.rejects(
      finding,
      (error: Error) =>
        error instanceof UsbUnavailableError &&
        /^cannot list USB devices: .*\/sys\/bus\/usb\/devices/.test(error.message),
    );
  }
});
