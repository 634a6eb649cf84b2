/**
 * The emulated chip is as strict as the kernel: requests it would refuse are refused with the
 * same errno, so the drivers' tests cannot pass on structs a real chip would reject.
 */
import assert from "node:assert/strict";
import { GpioLine } from "./line.ts";
import { encodeLineRequest, encodeValues, Ioctl, type LineSettings } from "./uapi.ts";
import { GpioChipEmulator } from "./_testing/gpio_chip_emulator.ts";

const OUTPUT: LineSettings = {
  direction: "output",
  activeLow: false,
  bias: "as_is",
  drive: "push_pull",
  edges: false,
  outputValue: 0,
};

Deno.test("the emulated chip refuses what gpiolib-cdev refuses, with its errno", async () => {
  const chip = new GpioChipEmulator();
  const address = { device: "/dev/gpiochip0", line: 3 };
  assert.throws(() => new GpioLine(chip, address, { ...OUTPUT, edges: true }), /EINVAL/);
  assert.throws(
    () => new GpioLine(chip, address, { ...OUTPUT, direction: "input", drive: "open_drain" }),
    /EINVAL/,
  );
  const fd = chip.open("/dev/gpiochip0");
  const padded = encodeLineRequest(3, "test", OUTPUT);
  padded[570] = 1; // reserved padding
  assert.throws(() => chip.ioctl(fd, Ioctl.GET_LINE, padded), /EINVAL/);
  assert.throws(() => chip.ioctl(fd, Ioctl.GET_LINE, new Uint8Array(64)), /EFAULT/);
  assert.throws(() => chip.ioctl(fd, 0xc010b4ff, new Uint8Array(16)), /EINVAL/);
  chip.close(fd);
  assert.equal(chip.openDescriptors, 0);

  const input = new GpioLine(chip, address, { ...OUTPUT, direction: "input", outputValue: 0 });
  assert.throws(() => input.setValue(1), /Cannot set line 3 of \/dev\/gpiochip0: .*EPERM/);
  assert.throws(() => chip.ioctl(9999, Ioctl.LINE_SET_VALUES, encodeValues(1)), /EBADF/);
  await input.close();
  assert.equal(chip.openDescriptors, 0);
});
